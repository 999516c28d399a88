// sock_register answers ENOBUFS for a family >= NPROTO; a compile-time list cannot hold one.
// expect-error: sock_register: family number >= AF_MAX (net/socket.c answers -ENOBUFS at boot)
#include <sockmodel/kernel.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>

struct af_future : sockmodel::inet_family {  // inet_create under another number
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    static constexpr int family = 45;  // AF_MCTP, the last below AF_MAX (46)
#else
    static constexpr int family = 46;  // AF_MAX itself
#endif
};
using cfg = sockmodel::config<sockmodel::opt::families<af_future>>;

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
