// The socket ABI an architecture fixes at build time, and the four checks
// __sys_socket_create (net/socket.c) makes of it with BUILD_BUG_ON.
#pragma once

#include <concepts>
#include <string_view>

namespace sockmodel::arch {

// What every ABI policy provides. The values come from include/linux/net.h,
// arch/*/include/asm/socket.h and the uapi fcntl.h headers (octal there).
template <class A>
concept abi_constants = requires {
    { A::name } -> std::convertible_to<std::string_view>;
    { A::sock_stream + A::sock_dgram + A::sock_raw + A::sock_rdm } -> std::same_as<int>;
    { A::sock_seqpacket + A::sock_dccp + A::sock_packet } -> std::same_as<int>;
    { A::sock_max + A::sock_type_mask } -> std::same_as<int>;
    { A::o_nonblock + A::o_cloexec + A::o_rdwr } -> std::same_as<int>;
    { A::sock_nonblock + A::sock_cloexec } -> std::same_as<int>;
    { A::af_max + A::nproto } -> std::same_as<int>;
};

// BUILD_BUG_ON(cond) in the kernel fails the build when cond holds; each
// static_assert here states the negation, with the kernel's place in the message.
template <abi_constants A>
struct build_bug_on {
    static_assert(A::sock_cloexec == A::o_cloexec,
                  "SOCK_CLOEXEC != O_CLOEXEC (net/socket.c, __sys_socket_create)");
    static_assert((A::sock_max | A::sock_type_mask) == A::sock_type_mask,
                  "SOCK_MAX does not fit SOCK_TYPE_MASK (net/socket.c, __sys_socket_create)");
    static_assert((A::sock_cloexec & A::sock_type_mask) == 0,
                  "SOCK_CLOEXEC overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create)");
    static_assert((A::sock_nonblock & A::sock_type_mask) == 0,
                  "SOCK_NONBLOCK overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create)");
    // Not a kernel BUILD_BUG_ON, but the kernel relies on it: net_families[]
    // is sized by NPROTO, which uapi/linux/net.h defines as AF_MAX.
    static_assert(A::nproto == A::af_max,
                  "NPROTO != AF_MAX (include/uapi/linux/net.h)");
    static constexpr bool value = true;
};

// An ABI the model accepts: all constants present and the kernel's checks pass.
// Naming a policy that fails a check stops compilation with that check's message.
template <class A>
concept socket_abi = abi_constants<A> && build_bug_on<A>::value;

// Values shared by every architecture Linux supports; policies inherit them.
struct common_abi {
    static constexpr int sock_raw = 3;
    static constexpr int sock_rdm = 4;
    static constexpr int sock_seqpacket = 5;
    static constexpr int sock_dccp = 6;
    static constexpr int sock_packet = 10;
    static constexpr int sock_max = sock_packet + 1;
    static constexpr int sock_type_mask = 0xf;
    static constexpr int o_rdwr = 02;
    static constexpr int af_max = 46;  // AF_MCTP (45) + 1 on 6.18
    static constexpr int nproto = af_max;
};

}  // namespace sockmodel::arch
