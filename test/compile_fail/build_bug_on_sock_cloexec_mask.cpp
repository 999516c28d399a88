// BUILD_BUG_ON(SOCK_CLOEXEC & SOCK_TYPE_MASK): a close-on-exec bit inside the type bits.
// expect-error: SOCK_CLOEXEC overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create BUILD_BUG_ON)
#include <sockmodel/arch/generic.hpp>

struct cloexec_in_mask : sockmodel::arch::generic {
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    static constexpr int o_cloexec = 02000000;
#else
    static constexpr int o_cloexec = 010;  // inside SOCK_TYPE_MASK (0xf)
#endif
    static constexpr int sock_cloexec = o_cloexec;
};
static_assert(sockmodel::arch::checked_abi<cloexec_in_mask>::value);
