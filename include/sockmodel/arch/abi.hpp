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
    { A::sol_socket + A::so_type + A::so_protocol + A::so_domain } -> std::same_as<int>;
    { A::rlimit_nofile } -> std::convertible_to<int>;
};

// The kernel's build-time checks as plain predicates, one per check, so that a
// test can state "this ABI is rejected" as an ordinary constant.
template <class A>
constexpr bool sock_cloexec_is_o_cloexec = A::sock_cloexec == A::o_cloexec;
template <class A>
constexpr bool sock_max_fits_mask = (A::sock_max | A::sock_type_mask) == A::sock_type_mask;
template <class A>
constexpr bool sock_cloexec_outside_mask = (A::sock_cloexec & A::sock_type_mask) == 0;
template <class A>
constexpr bool sock_nonblock_outside_mask = (A::sock_nonblock & A::sock_type_mask) == 0;
template <class A>
constexpr bool nproto_is_af_max = A::nproto == A::af_max;

// An ABI the model accepts: all constants present and the kernel's checks
// pass. A predicate: socket_abi<bad> is false, it does not stop the build.
template <class A>
concept socket_abi = abi_constants<A> && sock_cloexec_is_o_cloexec<A> && sock_max_fits_mask<A> &&
                     sock_cloexec_outside_mask<A> && sock_nonblock_outside_mask<A> && nproto_is_af_max<A>;

// BUILD_BUG_ON(cond) in the kernel fails the build when cond holds; each
// static_assert here states the negation, with the kernel's place in the
// message and the remedy. The model kernel checks its ABI through this.
template <class A>
struct checked_abi {
    static_assert(abi_constants<A>,
                  "not a socket ABI: an ABI policy needs name, the SOCK_* types, sock_max, sock_type_mask, o_nonblock, "
                  "o_cloexec, o_rdwr, sock_nonblock, sock_cloexec, af_max, nproto, sol_socket, so_type, so_protocol, "
                  "so_domain and rlimit_nofile (derive from arch::common_abi and add the rest)");
    static constexpr bool value = [] {
        if constexpr (abi_constants<A>) {
            static_assert(sock_cloexec_is_o_cloexec<A>,
                          "SOCK_CLOEXEC != O_CLOEXEC (net/socket.c, __sys_socket_create BUILD_BUG_ON): "
                          "set sock_cloexec = o_cloexec");
            static_assert(sock_max_fits_mask<A>,
                          "SOCK_MAX does not fit SOCK_TYPE_MASK (net/socket.c, __sys_socket_create BUILD_BUG_ON): "
                          "sock_max | sock_type_mask must equal sock_type_mask");
            static_assert(sock_cloexec_outside_mask<A>,
                          "SOCK_CLOEXEC overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create BUILD_BUG_ON): "
                          "move sock_cloexec above the type bits");
            static_assert(sock_nonblock_outside_mask<A>,
                          "SOCK_NONBLOCK overlaps SOCK_TYPE_MASK (net/socket.c, __sys_socket_create BUILD_BUG_ON): "
                          "move sock_nonblock above the type bits");
            // Not a kernel BUILD_BUG_ON, but the kernel relies on it: net_families[]
            // is sized by NPROTO, which uapi/linux/net.h defines as AF_MAX.
            static_assert(nproto_is_af_max<A>,
                          "NPROTO != AF_MAX (include/uapi/linux/net.h sizes net_families[] by NPROTO): "
                          "set nproto = af_max");
        }
        return socket_abi<A>;
    }();
};

// The SOL_SOCKET options sk_getsockopt answers, by name; an ABI gives their
// numbers in `sockopts` (generic.hpp: include/uapi/asm-generic/socket.h). An
// ABI without that table answers SO_TYPE, SO_PROTOCOL and SO_DOMAIN only.
enum class so : unsigned char {
    none, debug, reuseaddr, type, error, dontroute, broadcast, sndbuf, rcvbuf, keepalive, oobinline, no_check,
    priority, linger, bsdcompat, reuseport, passcred, peercred, rcvlowat, sndlowat, rcvtimeo_old, sndtimeo_old,
    bindtodevice, get_filter, peername, timestamp_old, acceptconn, peersec, passsec, timestampns_old, mark,
    timestamping_old, protocol, domain, rxq_ovfl, wifi_status, peek_off, nofcs, lock_filter, select_err_queue,
    busy_poll, max_pacing_rate, bpf_extensions, incoming_cpu, meminfo, incoming_napi_id, cookie, peergroups,
    zerocopy, txtime, bindtoifindex, timestamp_new, timestampns_new, timestamping_new, rcvtimeo_new, sndtimeo_new,
    prefer_busy_poll, netns_cookie, buf_lock, reserve_mem, txrehash, rcvmark, passpidfd, peerpidfd, rcvpriority,
    passrights,
};
struct sockopt_number {
    so opt;
    int number;
};

// The option an ABI's optname names (so::none for one it does not know).
template <class A>
constexpr so sockopt_of(int optname)
{
    if constexpr (requires { A::sockopts; }) {
        for (const sockopt_number& n : A::sockopts)
            if (n.number == optname)
                return n.opt;
        return so::none;
    } else {
        return optname == A::so_type ? so::type
               : optname == A::so_protocol ? so::protocol
               : optname == A::so_domain ? so::domain
                                         : so::none;
    }
}

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
