// A configuration naming an ABI that fails a BUILD_BUG_ON does not build a kernel.
// expect-error: SOCK_NONBLOCK overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create BUILD_BUG_ON)
#include <sockmodel/sockmodel.hpp>

struct alpha_like : sockmodel::arch::alpha {
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    static constexpr int sock_nonblock = 0x40000000;  // alpha's own bit
#else
    static constexpr int sock_nonblock = o_nonblock;
#endif
};
using cfg = sockmodel::config<sockmodel::opt::abi<alpha_like>>;

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
