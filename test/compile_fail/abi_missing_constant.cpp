// An ABI policy that forgets a constant (here RLIMIT_NOFILE's number) is not a socket ABI.
// expect-error: not a socket ABI: an ABI policy needs name, the SOCK_* types
#include <sockmodel/arch/abi.hpp>

struct forgetful : sockmodel::arch::common_abi {
    static constexpr std::string_view name = "forgetful";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 00004000;
    static constexpr int o_cloexec = 02000000;
    static constexpr int sock_nonblock = o_nonblock;
    static constexpr int sock_cloexec = o_cloexec;
    static constexpr int sol_socket = 1;
    static constexpr int so_type = 3;
    static constexpr int so_protocol = 38;
    static constexpr int so_domain = 39;
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    static constexpr int rlimit_nofile = 7;
#endif
};
static_assert(sockmodel::arch::checked_abi<forgetful>::value);
