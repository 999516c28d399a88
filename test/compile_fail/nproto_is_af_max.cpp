// NPROTO must be AF_MAX: net_families[] is sized by it.
// expect-error: NPROTO != AF_MAX (include/uapi/linux/net.h)
#include <sockmodel/arch/abi.hpp>
struct short_table : sockmodel::arch::common_abi {
    static constexpr std::string_view name = "short_table";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 0x800;
    static constexpr int o_cloexec = 0x80000;
    static constexpr int sock_nonblock = 0x800;
    static constexpr int sock_cloexec = 0x80000;
    static constexpr int sock_max = 11;
    static constexpr int nproto = 32;
};
static_assert(sockmodel::arch::socket_abi<short_table>);
