// BUILD_BUG_ON(SOCK_CLOEXEC & SOCK_TYPE_MASK): a close-on-exec bit inside the type.
// expect-error: SOCK_CLOEXEC overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create)
#include <sockmodel/arch/abi.hpp>
struct cloexec_in_mask : sockmodel::arch::common_abi {
    static constexpr std::string_view name = "cloexec_in_mask";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 0x800;
    static constexpr int o_cloexec = 0x8;
    static constexpr int sock_nonblock = 0x800;
    static constexpr int sock_cloexec = 0x8;
    static constexpr int sock_max = 11;
    static constexpr int nproto = 46;
};
static_assert(sockmodel::arch::socket_abi<cloexec_in_mask>);
