// A configuration naming an ABI that fails a BUILD_BUG_ON does not build a kernel.
// expect-error: SOCK_NONBLOCK overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create)
#include <sockmodel/kernel.hpp>
struct alpha_like : sockmodel::arch::alpha {
    static constexpr int sock_nonblock = o_nonblock;
};
struct cfg : sockmodel::default_config {
    using abi = alpha_like;
};

int main() { sockmodel::kernel<cfg> k; return 0; }
