// BUILD_BUG_ON(SOCK_CLOEXEC != O_CLOEXEC): an ABI whose SOCK_CLOEXEC is its own bit.
// expect-error: SOCK_CLOEXEC != O_CLOEXEC (net/socket.c, __sys_socket_create)
#include <sockmodel/arch/abi.hpp>
struct cloexec_apart : sockmodel::arch::common_abi {
    static constexpr std::string_view name = "cloexec_apart";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 0x800;
    static constexpr int o_cloexec = 0x80000;
    static constexpr int sock_nonblock = 0x800;
    static constexpr int sock_cloexec = 0x100000;
    static constexpr int sock_max = 11;
    static constexpr int nproto = 46;
};
static_assert(sockmodel::arch::socket_abi<cloexec_apart>);
