// BUILD_BUG_ON(SOCK_NONBLOCK & SOCK_TYPE_MASK): alpha if SOCK_NONBLOCK were simply its O_NONBLOCK (04).
// expect-error: SOCK_NONBLOCK overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create BUILD_BUG_ON)
#include <sockmodel/arch/alpha.hpp>

struct alpha_like : sockmodel::arch::alpha {
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    static constexpr int sock_nonblock = 0x40000000;  // alpha's own bit
#else
    static constexpr int sock_nonblock = o_nonblock;
#endif
};
static_assert(sockmodel::arch::checked_abi<alpha_like>::value);
