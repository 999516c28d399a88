// BUILD_BUG_ON((SOCK_MAX | SOCK_TYPE_MASK) != SOCK_TYPE_MASK): 17 socket types do not fit 4 bits.
// expect-error: SOCK_MAX does not fit SOCK_TYPE_MASK (net/socket.c, __sys_socket_create)
#include <sockmodel/arch/abi.hpp>
struct too_many_types : sockmodel::arch::common_abi {
    static constexpr std::string_view name = "too_many_types";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 0x800;
    static constexpr int o_cloexec = 0x80000;
    static constexpr int sock_nonblock = 0x800;
    static constexpr int sock_cloexec = 0x80000;
    static constexpr int sock_max = 17;
    static constexpr int nproto = 46;
};
static_assert(sockmodel::arch::socket_abi<too_many_types>);
