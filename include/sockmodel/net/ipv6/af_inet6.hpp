// AF_INET6 (net/ipv6/af_inet6.c): the inetsw6 table, inet6_create,
// inet6_release and the IPv6 ops tables (plus MPTCP's).
//
// inet6_create walks inetsw6 exactly as inet_create walks inetsw (the
// shared inet_lookup); it differs in the errno of a failed sk_alloc
// (ENOBUFS), in the ipv6_pinfo it initialises, in sk_ipv6only taken from
// net.ipv6.bindv6only, and in having no SOCK_PACKET rewrite in front of it.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/ipv6.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/net/inet_sock.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>
#include <sockmodel/net/ipv6/ping.hpp>
#include <sockmodel/net/ipv6/raw.hpp>
#include <sockmodel/net/ipv6/tcp_ipv6.hpp>
#include <sockmodel/net/ipv6/udp.hpp>
#include <sockmodel/net/mptcp/protocol.hpp>
#include <sockmodel/net/protocol.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/in.hpp>

#include <array>

namespace sockmodel {

// af_inet6.c's THIS_MODULE: CONFIG_IPV6 may be a module, so its references count.
inline constexpr module ipv6_module{"ipv6"};

// inet6_release: multicast and anycast memberships (none in the model), then inet_release.
template <class K>
int inet6_release(context<K>& cx, socket& sock)
{
    auto t = trace::enter(cx, "inet6_release");
    if (!sock.sk)
        return t.ret(-EINVAL);
    return t.ret(inet_release(cx, sock));
}

// inet6_sock_destruct: inet6_cleanup_sock (nothing kept), then inet_sock_destruct.
template <class K>
void inet6_sock_destruct(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "inet6_sock_destruct");
    inet_sock_destruct(cx, sk);
}

template <class K>
inline constexpr proto_ops inet6_stream_ops{
    .family = af_inet6,
    .owner = &ipv6_module,
    .name = "inet6_stream_ops",
    .release = &kernel_fn<K, &inet6_release<K>>::call,
    .bind = {"inet6_bind"},
    .connect = {"inet_stream_connect"},
    .socketpair = sock_no_socketpair,
    .accept = {"inet_accept"},
    .getname = {"inet6_getname"},
    .poll = {"tcp_poll"},
    .ioctl = {"inet6_ioctl"},
    .listen = {"inet_listen"},
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet6_sendmsg"},
    .recvmsg = {"inet6_recvmsg"},
    .mmap = {"tcp_mmap"},
    .set_peek_off = true,
};

template <class K>
inline constexpr proto_ops inet6_dgram_ops{
    .family = af_inet6,
    .owner = &ipv6_module,
    .name = "inet6_dgram_ops",
    .release = &kernel_fn<K, &inet6_release<K>>::call,
    .bind = {"inet6_bind"},
    .connect = {"inet_dgram_connect"},
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"inet6_getname"},
    .poll = {"udp_poll"},
    .ioctl = {"inet6_ioctl"},
    .listen = sock_no_listen,
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet6_sendmsg"},
    .recvmsg = {"inet6_recvmsg"},
    .mmap = sock_no_mmap,
    .set_peek_off = true,
};

// Raw and ping sockets (net/ipv6/raw.c): inet6_dgram_ops with datagram_poll.
template <class K>
inline constexpr proto_ops inet6_sockraw_ops{
    .family = af_inet6,
    .owner = &ipv6_module,
    .name = "inet6_sockraw_ops",
    .release = &kernel_fn<K, &inet6_release<K>>::call,
    .bind = {"inet6_bind"},
    .connect = {"inet_dgram_connect"},
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"inet6_getname"},
    .poll = {"datagram_poll"},
    .ioctl = {"inet6_ioctl"},
    .listen = sock_no_listen,
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet_sendmsg"},
    .recvmsg = {"sock_common_recvmsg"},
    .mmap = sock_no_mmap,
};

// net/mptcp/protocol.c
template <class K>
inline constexpr proto_ops mptcp_v6_stream_ops{
    .family = af_inet6,
    .owner = &ipv6_module,
    .name = "mptcp_v6_stream_ops",
    .release = &kernel_fn<K, &inet6_release<K>>::call,
    .bind = {"mptcp_bind"},
    .connect = {"inet_stream_connect"},
    .socketpair = sock_no_socketpair,
    .accept = {"mptcp_stream_accept"},
    .getname = {"inet6_getname"},
    .poll = {"mptcp_poll"},
    .ioctl = {"inet6_ioctl"},
    .listen = {"mptcp_listen"},
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet6_sendmsg"},
    .recvmsg = {"inet6_recvmsg"},
    .mmap = sock_no_mmap,
};

// inetsw6 as 6.18 builds it at boot: rawv6_init, udpv6_init, udplitev6_init,
// tcpv6_init (then mptcpv6_init), pingv6_init, each entry placed after the
// permanent ones of its type. Per type: STREAM TCPv6, MPTCPv6; DGRAM UDPv6,
// UDPLITEv6, PINGv6; RAW the wildcard RAWv6. No SCTP, L2TP or DCCP.
template <class K>
struct inetsw6 {
    using abi = typename K::abi;
    static constexpr std::array<inet_protosw, 6> entries{{
        {.type = abi::sock_stream, .protocol = ipproto_tcp, .prot = tcpv6_prot<K>, .ops = inet6_stream_ops<K>,
         .flags = INET_PROTOSW_PERMANENT | INET_PROTOSW_ICSK},
        {.type = abi::sock_stream, .protocol = ipproto_mptcp, .prot = mptcp_v6_prot<K>, .ops = mptcp_v6_stream_ops<K>,
         .flags = INET_PROTOSW_ICSK},
        {.type = abi::sock_dgram, .protocol = ipproto_udp, .prot = udpv6_prot<K>, .ops = inet6_dgram_ops<K>,
         .flags = INET_PROTOSW_PERMANENT},
        {.type = abi::sock_dgram, .protocol = ipproto_udplite, .prot = udplitev6_prot<K>, .ops = inet6_dgram_ops<K>,
         .flags = INET_PROTOSW_PERMANENT},
        {.type = abi::sock_dgram, .protocol = ipproto_icmpv6, .prot = pingv6_prot<K>, .ops = inet6_sockraw_ops<K>,
         .flags = INET_PROTOSW_REUSE},
        {.type = abi::sock_raw, .protocol = ipproto_ip, .prot = rawv6_prot<K>, .ops = inet6_sockraw_ops<K>,
         .flags = INET_PROTOSW_REUSE},
    }};
};

struct inet6_names {
    static constexpr std::string_view create = "inet6_create", table = "inetsw6",
                                      raw_denied = "SOCK_RAW without CAP_NET_RAW over net->user_ns",
                                      raw_allowed = "ns_capable(net->user_ns, CAP_NET_RAW): yes";
};

// inet6_create over a protocol table: inetsw6, or a user's table of the same
// shape. Its checks before allocation are inet_create's (inet_protosw_family):
// the protocol range, the inetsw6 walk, CAP_NET_RAW over net->user_ns.
template <template <class> class Table = inetsw6>
struct inet6_family_t : inet_protosw_family<af_inet6, inet6_names, Table> {
    using base = inet_protosw_family<af_inet6, inet6_names, Table>;
    static constexpr const module* owner = &ipv6_module;

    // The sock, its inet and ipv6_pinfo fields, hashing (raw), prot->init,
    // and the release of a sock whose hash or init refused.
    template <class K>
    static int construct(context<K>& cx, net& n, socket& sock, const create_choice& c, int kern)
    {
        sock.state = SS_UNCONNECTED;
        sock.ops = c.ops;
        struct sock* sk = sk_alloc(cx, n, af_inet6, *c.prot, kern);
        if (!sk)
            return -ENOBUFS;
        sock_init_data(cx, &sock, *sk);

        base::template inet_sock_from_entry<K>(sock, *sk, c);
        sk->sk_destruct = &kernel_fn<K, &inet6_sock_destruct<K>>::call;
        sk->sk_family = af_inet6;
        sk->sk_protocol = c.protocol;

        inet_sock& inet = inet_sk(*sk);
        ipv6_pinfo* np = sk->sk_prot->ipv6_pinfo_of(*sk);
        inet.pinet6 = np;
        np->hop_limit = -1;
        np->mcast_hops = ipv6_default_mcasthops;
        np->mc_loop = true;
        np->mc_all = true;
        np->pmtudisc = ipv6_pmtudisc_want;
        sk->sk_ipv6only = read_once(cx, n.sysctl.bindv6only);
        base::inet_defaults(inet);

        const int err = base::hash_and_init(cx, *sk);
        if (err) {
            SOCKMODEL_TRACE_NOTE(cx, "inet6_create", [] { return kstring("sk_common_release; goto out"); });
            sk_common_release(cx, *sk);
            sock.sk = nullptr;
        }
        return err;
    }
};

using inet6_family = inet6_family_t<>;

}  // namespace sockmodel
