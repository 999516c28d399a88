// BUILD_BUG_ON((SOCK_MAX | SOCK_TYPE_MASK) != SOCK_TYPE_MASK): 17 socket types do not fit 4 bits.
// expect-error: SOCK_MAX does not fit SOCK_TYPE_MASK (net/socket.c, __sys_socket_create BUILD_BUG_ON)
#include <sockmodel/arch/generic.hpp>

struct too_many_types : sockmodel::arch::generic {
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    static constexpr int sock_max = sock_packet + 1;
#else
    static constexpr int sock_max = 17;
#endif
};
static_assert(sockmodel::arch::checked_abi<too_many_types>::value);
