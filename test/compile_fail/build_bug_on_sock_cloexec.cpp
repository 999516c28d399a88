// BUILD_BUG_ON(SOCK_CLOEXEC != O_CLOEXEC): an ABI whose SOCK_CLOEXEC is a bit of its own.
// expect-error: SOCK_CLOEXEC != O_CLOEXEC (net/socket.c, __sys_socket_create BUILD_BUG_ON)
#include <sockmodel/arch/generic.hpp>

struct cloexec_apart : sockmodel::arch::generic {
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    static constexpr int sock_cloexec = o_cloexec;
#else
    static constexpr int sock_cloexec = 0x100000;  // not O_CLOEXEC (02000000)
#endif
};
static_assert(sockmodel::arch::checked_abi<cloexec_apart>::value);
