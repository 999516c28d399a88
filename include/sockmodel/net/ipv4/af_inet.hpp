// AF_INET (net/ipv4/af_inet.c): the inetsw table, inet_create, inet_release
// and the three ops tables of IPv4 sockets (plus MPTCP's).
#pragma once

#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/net/inet_sock.hpp>
#include <sockmodel/net/ipv4/ping.hpp>
#include <sockmodel/net/ipv4/raw.hpp>
#include <sockmodel/net/ipv4/tcp.hpp>
#include <sockmodel/net/ipv4/udp.hpp>
#include <sockmodel/net/mptcp/protocol.hpp>
#include <sockmodel/net/protocol.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/in.hpp>

#include <array>
#include <stdexcept>
#include <span>
#include <string>

namespace sockmodel {

template <class K>
int inet_release(K& k, socket& sock)
{
    auto t = trace::enter(k, "inet_release");
    if (struct sock* sk = sock.sk) {
        // ip_mc_drop_socket: no memberships in the model.
        const long timeout = 0;  // SOCK_LINGER is never set by socket()
        sk->sk_prot->close(&k, *sk, timeout);
        sock.sk = nullptr;
    }
    return t.ret(0);
}

// inet_sock_destruct: refuses to free a sock that is still alive.
template <class K>
void inet_sock_destruct(K& k, sock& sk)
{
    auto t = trace::enter(k, "inet_sock_destruct");
    if (!sk.flag(sock_flag::dead))
        throw std::logic_error("Attempt to release alive inet socket (net/ipv4/af_inet.c, inet_sock_destruct)");
}

template <class K>
inline constexpr proto_ops inet_stream_ops{
    af_inet, nullptr, "inet_stream_ops", &kernel_fn<K, &inet_release<K>>::call,
    {"inet_bind"}, {"inet_stream_connect"}, sock_no_socketpair, {"inet_accept"},
    {"inet_getname"}, {"tcp_poll"}, {"inet_ioctl"}, {"inet_listen"}, {"inet_shutdown"},
    {"sock_common_setsockopt"}, {"sock_common_getsockopt"}, {"inet_sendmsg"}, {"inet_recvmsg"},
    {"tcp_mmap"}};

template <class K>
inline constexpr proto_ops inet_dgram_ops{
    af_inet, nullptr, "inet_dgram_ops", &kernel_fn<K, &inet_release<K>>::call,
    {"inet_bind"}, {"inet_dgram_connect"}, sock_no_socketpair, sock_no_accept,
    {"inet_getname"}, {"udp_poll"}, {"inet_ioctl"}, sock_no_listen, {"inet_shutdown"},
    {"sock_common_setsockopt"}, {"sock_common_getsockopt"}, {"inet_sendmsg"}, {"inet_recvmsg"},
    sock_no_mmap};

// Raw and ping sockets: inet_dgram_ops with datagram_poll.
template <class K>
inline constexpr proto_ops inet_sockraw_ops{
    af_inet, nullptr, "inet_sockraw_ops", &kernel_fn<K, &inet_release<K>>::call,
    {"inet_bind"}, {"inet_dgram_connect"}, sock_no_socketpair, sock_no_accept,
    {"inet_getname"}, {"datagram_poll"}, {"inet_ioctl"}, sock_no_listen, {"inet_shutdown"},
    {"sock_common_setsockopt"}, {"sock_common_getsockopt"}, {"inet_sendmsg"}, {"inet_recvmsg"},
    sock_no_mmap};

// net/mptcp/protocol.c
template <class K>
inline constexpr proto_ops mptcp_stream_ops{
    af_inet, nullptr, "mptcp_stream_ops", &kernel_fn<K, &inet_release<K>>::call,
    {"mptcp_bind"}, {"inet_stream_connect"}, sock_no_socketpair, {"mptcp_stream_accept"},
    {"inet_getname"}, {"mptcp_poll"}, {"inet_ioctl"}, {"mptcp_listen"}, {"inet_shutdown"},
    {"sock_common_setsockopt"}, {"sock_common_getsockopt"}, {"inet_sendmsg"}, {"inet_recvmsg"},
    sock_no_mmap};

// inetsw as 6.18 builds it: inetsw_array, then UDP-Lite (permanent, so after
// UDP) and MPTCP (after the last permanent TCP entry). No SCTP, L2TP or DCCP.
template <class K>
struct inetsw {
    using abi = typename K::abi;
    static constexpr std::array<inet_protosw, 6> entries{{
        {abi::sock_stream, ipproto_tcp, &tcp_prot<K>, &inet_stream_ops<K>, INET_PROTOSW_PERMANENT | INET_PROTOSW_ICSK},
        {abi::sock_stream, ipproto_mptcp, &mptcp_prot<K>, &mptcp_stream_ops<K>, INET_PROTOSW_ICSK},
        {abi::sock_dgram, ipproto_udp, &udp_prot<K>, &inet_dgram_ops<K>, INET_PROTOSW_PERMANENT},
        {abi::sock_dgram, ipproto_udplite, &udplite_prot<K>, &inet_dgram_ops<K>, INET_PROTOSW_PERMANENT},
        {abi::sock_dgram, ipproto_icmp, &ping_prot<K>, &inet_sockraw_ops<K>, INET_PROTOSW_REUSE},
        {abi::sock_raw, ipproto_ip, &raw_prot<K>, &inet_sockraw_ops<K>, INET_PROTOSW_REUSE},
    }};
};

// inet_create's checks before allocation, in its order.
constexpr int inet_check_protocol(int protocol)
{
    return protocol < 0 || protocol >= ipproto_max ? -EINVAL : 0;
}

template <class A>
constexpr int inet_check_raw_cap(int type, const cred& c, int kern)
{
    return type == A::sock_raw && !kern && !ns_capable(c, capability::net_raw) ? -EPERM : 0;
}

template <template <class> class Table = inetsw>
struct inet_family_t {
    static constexpr int family = af_inet;
    static constexpr const module* owner = nullptr;  // IPv4 cannot be a module

    template <class K>
    static constexpr std::array<const proto*, 6> proto_list{&tcp_prot<K>, &mptcp_prot<K>, &udp_prot<K>,
                                                            &udplite_prot<K>, &ping_prot<K>, &raw_prot<K>};

    template <class K>
    static constexpr std::span<const proto* const> protos() { return proto_list<K>; }

    template <class K>
    static constexpr create_choice choose(const create_context& cx, int type, int protocol)
    {
        using abi = typename K::abi;
        static_assert(checked_protosw<abi, Table<K>>::value);
        if (int err = inet_check_protocol(protocol))
            return create_choice::fail(err, "inet_create");
        const inet_lookup_result r = inet_lookup<Table<K>>(type, protocol);
        if (r.err)
            return create_choice::fail(r.err, "inet_create");
        if (int err = inet_check_raw_cap<abi>(type, cx.cred, cx.kern))
            return create_choice::fail(err, "inet_create");
        if (r.answer->prot->init_check)
            if (int err = r.answer->prot->init_check(cx.sysctl, cx.cred))
                return create_choice::fail(err, "inet_create");
        return {0, "inet_create", r.answer->ops, r.answer->prot, type, r.protocol, af_inet};
    }

    template <class K>
    static int create(K& k, net& n, socket& sock, int protocol, int kern);
};

using inet_family = inet_family_t<>;

template <template <class> class Table>
template <class K>
int inet_family_t<Table>::create(K& k, net& n, socket& sock, int protocol, int kern)
{
    using abi = typename K::abi;
    static_assert(checked_protosw<abi, Table<K>>::value);
    auto t = trace::enter(k, "inet_create", [&] {
        return trace::decode_type<abi>(sock.type) + ", " + trace::decode_protocol(af_inet, protocol) +
               ", kern=" + std::to_string(kern);
    });
    if (int err = inet_check_protocol(protocol)) {
        trace::note(k, "inet_create", [] { return std::string("protocol outside 0..IPPROTO_MAX-1"); });
        return t.ret(err);
    }
    sock.state = SS_UNCONNECTED;

    const inet_lookup_result r = inet_lookup<Table<K>>(sock.type, protocol);
    if (r.err) {
        trace::note(k, "inet_create", [&] {
            return "inetsw[" + trace::decode_type<abi>(sock.type) + "]: " +
                   (r.err == -ESOCKTNOSUPPORT ? "empty list" : "no entry for protocol " + std::to_string(protocol)) +
                   "; request_module finds no module";
        });
        return t.ret(r.err);
    }
    const inet_protosw& answer = *r.answer;
    protocol = r.protocol;
    trace::note(k, "inet_create", [&] {
        return "inetsw[" + trace::decode_type<abi>(sock.type) + "]: " + std::string(answer.prot->name) + " (" +
               trace::decode_protocol(af_inet, protocol) + ")";
    });

    if (int err = inet_check_raw_cap<abi>(sock.type, k.current().cred, kern)) {
        trace::note(k, "inet_create", [] { return std::string("SOCK_RAW without CAP_NET_RAW"); });
        return t.ret(err);
    }
    if (sock.type == abi::sock_raw)
        trace::note(k, "inet_create", [] { return std::string("ns_capable(CAP_NET_RAW): yes"); });

    sock.ops = answer.ops;
    struct sock* sk = sk_alloc(k, n, af_inet, *answer.prot, kern);
    if (!sk)
        return t.ret(-ENOMEM);

    inet_sock& inet = inet_sk(*sk);
    if (answer.flags & INET_PROTOSW_REUSE)
        sk->sk_reuse = true;
    inet.is_icsk = (answer.flags & INET_PROTOSW_ICSK) != 0;
    if (sock.type == abi::sock_raw) {
        inet.inet_num = static_cast<unsigned short>(protocol);
        if (protocol == ipproto_raw)
            inet.hdrincl = true;
    }
    inet.pmtudisc = ip_pmtudisc_want;
    sock_init_data(k, &sock, *sk);
    sk->sk_destruct = &kernel_fn<K, &inet_sock_destruct<K>>::call;
    sk->sk_protocol = protocol;
    inet.uc_ttl = -1;
    inet.mc_loop = true;
    inet.mc_ttl = 1;
    inet.mc_all = true;

    int err = 0;
    if (inet.inet_num) {
        inet.inet_sport = cpu_to_be16(inet.inet_num);
        err = sk->sk_prot->hash(&k, *sk);
    }
    if (!err && sk->sk_prot->init)
        err = sk->sk_prot->init(&k, *sk);
    if (err) {
        trace::note(k, "inet_create", [] { return std::string("goto out_sk_release"); });
        sk_common_release(k, *sk);
        sock.sk = nullptr;
    }
    return t.ret(err);
}

}  // namespace sockmodel
