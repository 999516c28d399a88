// BUILD_BUG_ON(SOCK_NONBLOCK & SOCK_TYPE_MASK): alpha if SOCK_NONBLOCK were simply its O_NONBLOCK (4).
// expect-error: SOCK_NONBLOCK overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create)
#include <sockmodel/arch/abi.hpp>
struct alpha_like : sockmodel::arch::common_abi {
    static constexpr std::string_view name = "alpha_like";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 0x4;
    static constexpr int o_cloexec = 0x200000;
    static constexpr int sock_nonblock = 0x4;
    static constexpr int sock_cloexec = 0x200000;
    static constexpr int sock_max = 11;
    static constexpr int nproto = 46;
};
static_assert(sockmodel::arch::socket_abi<alpha_like>);
