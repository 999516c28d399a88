// AF_INET (net/ipv4/af_inet.c): the inetsw table, inet_create, inet_release
// and the three ops tables of IPv4 sockets (plus MPTCP's).
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/err.hpp>
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

namespace sockmodel {

// The IPPROTO_* names the inet families print (sockmodel-trace, the trace notes).
inline constexpr trace::name_value ipproto_names[] = {
    {"IPPROTO_IP", 0}, {"IPPROTO_ICMP", 1}, {"IPPROTO_IGMP", 2}, {"IPPROTO_IPIP", 4},
    {"IPPROTO_TCP", 6}, {"IPPROTO_EGP", 8}, {"IPPROTO_PUP", 12}, {"IPPROTO_UDP", 17},
    {"IPPROTO_IDP", 22}, {"IPPROTO_TP", 29}, {"IPPROTO_DCCP", 33}, {"IPPROTO_IPV6", 41},
    {"IPPROTO_RSVP", 46}, {"IPPROTO_GRE", 47}, {"IPPROTO_ESP", 50}, {"IPPROTO_AH", 51},
    {"IPPROTO_ICMPV6", 58}, {"IPPROTO_MTP", 92}, {"IPPROTO_BEETPH", 94}, {"IPPROTO_ENCAP", 98},
    {"IPPROTO_PIM", 103}, {"IPPROTO_COMP", 108}, {"IPPROTO_L2TP", 115}, {"IPPROTO_SCTP", 132},
    {"IPPROTO_UDPLITE", 136}, {"IPPROTO_MPLS", 137}, {"IPPROTO_ETHERNET", 143},
    {"IPPROTO_AGGFRAG", 144}, {"IPPROTO_RAW", 255}, {"IPPROTO_SMC", 256}, {"IPPROTO_MPTCP", 262},
};

// Fault points (fault/fault.hpp) of this file's functions.
namespace fault_point {
inline constexpr fault_point_info proto_init{.name = "proto_init", .fn = "", .what = "sk->sk_prot->init returns -ENOMEM", .err = -ENOMEM};
}  // namespace fault_point

template <class K>
int inet_release(context<K>& cx, socket& sock)
{
    auto t = trace::enter(cx, "inet_release");
    if (struct sock* sk = sock.sk) {
        // ip_mc_drop_socket: no memberships in the model.
        const long timeout = 0;  // SOCK_LINGER is never set by socket()
        sk->sk_prot->close(&cx, *sk, timeout);
        sock.sk = nullptr;
    }
    return t.ret(0);
}

// inet_sock_destruct: refuses to free a sock that is still alive.
template <class K>
void inet_sock_destruct(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "inet_sock_destruct");
    if (!sk.flag(sock_flag::dead))
        kernel_bug<K>("Attempt to release alive inet socket (net/ipv4/af_inet.c, inet_sock_destruct)");
}

template <class K>
inline constexpr proto_ops inet_stream_ops{
    .family = af_inet,
    .name = "inet_stream_ops",
    .release = &kernel_fn<K, &inet_release<K>>::call,
    .bind = {"inet_bind"},
    .connect = {"inet_stream_connect"},
    .socketpair = sock_no_socketpair,
    .accept = {"inet_accept"},
    .getname = {"inet_getname"},
    .poll = {"tcp_poll"},
    .ioctl = {"inet_ioctl"},
    .listen = {"inet_listen"},
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet_sendmsg"},
    .recvmsg = {"inet_recvmsg"},
    .mmap = {"tcp_mmap"},
    .set_peek_off = true,
};

template <class K>
inline constexpr proto_ops inet_dgram_ops{
    .family = af_inet,
    .name = "inet_dgram_ops",
    .release = &kernel_fn<K, &inet_release<K>>::call,
    .bind = {"inet_bind"},
    .connect = {"inet_dgram_connect"},
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"inet_getname"},
    .poll = {"udp_poll"},
    .ioctl = {"inet_ioctl"},
    .listen = sock_no_listen,
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet_sendmsg"},
    .recvmsg = {"inet_recvmsg"},
    .mmap = sock_no_mmap,
    .set_peek_off = true,
};

// Raw and ping sockets: inet_dgram_ops with datagram_poll.
template <class K>
inline constexpr proto_ops inet_sockraw_ops{
    .family = af_inet,
    .name = "inet_sockraw_ops",
    .release = &kernel_fn<K, &inet_release<K>>::call,
    .bind = {"inet_bind"},
    .connect = {"inet_dgram_connect"},
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"inet_getname"},
    .poll = {"datagram_poll"},
    .ioctl = {"inet_ioctl"},
    .listen = sock_no_listen,
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet_sendmsg"},
    .recvmsg = {"inet_recvmsg"},
    .mmap = sock_no_mmap,
};

// net/mptcp/protocol.c
template <class K>
inline constexpr proto_ops mptcp_stream_ops{
    .family = af_inet,
    .name = "mptcp_stream_ops",
    .release = &kernel_fn<K, &inet_release<K>>::call,
    .bind = {"mptcp_bind"},
    .connect = {"inet_stream_connect"},
    .socketpair = sock_no_socketpair,
    .accept = {"mptcp_stream_accept"},
    .getname = {"inet_getname"},
    .poll = {"mptcp_poll"},
    .ioctl = {"inet_ioctl"},
    .listen = {"mptcp_listen"},
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet_sendmsg"},
    .recvmsg = {"inet_recvmsg"},
    .mmap = sock_no_mmap,
};

// inetsw as 6.18 builds it: inetsw_array, then UDP-Lite (permanent, so after
// UDP) and MPTCP (after the last permanent TCP entry). No SCTP, L2TP or DCCP.
// The table is also the list of protos AF_INET registers at boot.
template <class K>
struct inetsw {
    using abi = typename K::abi;
    static constexpr std::array<inet_protosw, 6> entries{{
        {.type = abi::sock_stream, .protocol = ipproto_tcp, .prot = tcp_prot<K>, .ops = inet_stream_ops<K>,
         .flags = INET_PROTOSW_PERMANENT | INET_PROTOSW_ICSK},
        {.type = abi::sock_stream, .protocol = ipproto_mptcp, .prot = mptcp_prot<K>, .ops = mptcp_stream_ops<K>,
         .flags = INET_PROTOSW_ICSK},
        {.type = abi::sock_dgram, .protocol = ipproto_udp, .prot = udp_prot<K>, .ops = inet_dgram_ops<K>,
         .flags = INET_PROTOSW_PERMANENT},
        {.type = abi::sock_dgram, .protocol = ipproto_udplite, .prot = udplite_prot<K>, .ops = inet_dgram_ops<K>,
         .flags = INET_PROTOSW_PERMANENT},
        {.type = abi::sock_dgram, .protocol = ipproto_icmp, .prot = ping_prot<K>, .ops = inet_sockraw_ops<K>,
         .flags = INET_PROTOSW_REUSE},
        {.type = abi::sock_raw, .protocol = ipproto_ip, .prot = raw_prot<K>, .ops = inet_sockraw_ops<K>,
         .flags = INET_PROTOSW_REUSE},
    }};
};

// inet_create's checks before allocation, in its order.
constexpr int inet_check_protocol(int protocol)
{
    return protocol < 0 || protocol >= ipproto_max ? -EINVAL : 0;
}

// SOCK_RAW needs CAP_NET_RAW over the user namespace owning the netns
// (ns_capable(net->user_ns, CAP_NET_RAW)); kernel sockets are exempt.
template <class A>
constexpr int inet_check_raw_cap(int type, const create_context& cx)
{
    return type == A::sock_raw && !cx.kern && !ns_capable(cx.user_ns, cx.cred, capability::net_raw) ? -EPERM : 0;
}

// What inet_create and inet6_create share (inet6_create repeats inet_create's
// checks over its own table): the protocol range, the protosw walk and
// CAP_NET_RAW for SOCK_RAW, with their trace notes; and, once the sock is
// built, the hash of a raw sock and prot->init. Names carries the family's
// words: create ("inet_create"), table ("inetsw"), raw_denied, raw_allowed.
template <int Family, class Names, template <class> class Table>
struct inet_protosw_family {
    // The family's own fault points (the path's are every kernel's).
    using fault_points = fault::point_list<&fault_point::proto_init>;
    static constexpr int family = Family;
    static constexpr std::string_view create_name = Names::create;
    // The names sockmodel-trace and the notes print for a protocol number.
    static constexpr std::string_view protocol_name(int protocol) { return trace::name_of(ipproto_names, protocol); }

    template <class K>
    using protosw = Table<K>;

    // Which of the create function's checks decided (create_choice::step).
    enum step : int { protocol_range = 1, lookup, raw_capability, chosen };

    template <class K>
    static kstring describe(int type, int protocol, int kern)
    {
        return trace::decode_type<typename K::abi>(type) + ", " + trace::decode_protocol<family_list<inet_protosw_family>>(Family, protocol) +
               ", kern=" + to_kstring(kern);
    }

    // Every decision the create function makes before it allocates, in its order.
    template <class K>
    static constexpr create_choice choose(const create_context& cx, int type, int protocol)
    {
        using abi = typename K::abi;
        static_assert(checked_protosw<abi, Table<K>>::value);
        if (int err = inet_check_protocol(protocol))
            return create_choice::fail(err, protocol_range);
        const inet_lookup_result r = inet_lookup<Table<K>>(type, protocol);
        if (r.err)
            return create_choice::fail(r.err, lookup);
        create_choice c{0, chosen, &r.answer->ops, &r.answer->prot, type, r.protocol, Family, r.answer->flags};
        if (int err = inet_check_raw_cap<abi>(type, cx)) {
            c.err = err;
            c.step = raw_capability;
        }
        return c;
    }

    // The trace notes of a decision, where the create function reaches each check.
    template <class K>
    static void explain(context<K>& cx, const create_choice& c, int type, int protocol)
    {
        using abi = typename K::abi;
        if (c.step == protocol_range) {
            SOCKMODEL_TRACE_NOTE(cx, Names::create, [] { return kstring("protocol outside 0..IPPROTO_MAX-1"); });
            return;
        }
        if (c.step == lookup) {
            SOCKMODEL_TRACE_NOTE(cx, Names::create, [&] {
                return kstring(Names::table) + "[" + trace::decode_type<abi>(type) + "]: " +
                       (c.err == -ESOCKTNOSUPPORT ? "empty list" : "no entry for protocol " + to_kstring(protocol)) +
                       "; request_module finds no module";
            });
            return;
        }
        SOCKMODEL_TRACE_NOTE(cx, Names::create, [&] {
            return kstring(Names::table) + "[" + trace::decode_type<abi>(type) + "]: " + kstring(c.prot->name) +
                   " (" + trace::decode_protocol<family_list<inet_protosw_family>>(Family, c.protocol) + ")";
        });
        if (c.step == raw_capability) {
            SOCKMODEL_TRACE_NOTE(cx, Names::create, [] { return kstring(Names::raw_denied); });
        } else if (type == abi::sock_raw) {
            SOCKMODEL_TRACE_NOTE(cx, Names::create, [] { return kstring(Names::raw_allowed); });
        }
    }

protected:
    // The chosen entry's flags and, for SOCK_RAW, the protocol as the local port.
    template <class K>
    static void inet_sock_from_entry(socket& sock, struct sock& sk, const create_choice& c)
    {
        inet_sock& inet = inet_sk(sk);
        if (c.flags & INET_PROTOSW_REUSE)
            sk.sk_reuse = true;
        inet.is_icsk = (c.flags & INET_PROTOSW_ICSK) != 0;
        if (sock.type == K::abi::sock_raw) {
            inet.inet_num = static_cast<unsigned short>(c.protocol);
            if (c.protocol == ipproto_raw)
                inet.hdrincl = true;
        }
    }

    // The multicast and unicast defaults both create functions set.
    static void inet_defaults(inet_sock& inet)
    {
        inet.uc_ttl = -1;
        inet.mc_loop = true;
        inet.mc_ttl = 1;
        inet.mc_all = true;
        inet.pmtudisc = ip_pmtudisc_want;
    }

    // A raw sock is hashed under its protocol number; then prot->init.
    template <class K>
    static int hash_and_init(context<K>& cx, struct sock& sk)
    {
        inet_sock& inet = inet_sk(sk);
        int err = 0;
        if (inet.inet_num) {
            inet.inet_sport = cpu_to_be16(inet.inet_num);
            err = sk.sk_prot->hash(&cx, sk);
        }
        if (!err && sk.sk_prot->init)
            err = should_fail<&fault_point::proto_init>(cx, Names::create) ? fault_point::proto_init.err
                                                                          : sk.sk_prot->init(&cx, sk);
        return err;
    }
};

struct inet_names {
    static constexpr std::string_view create = "inet_create", table = "inetsw",
                                      raw_denied = "SOCK_RAW without CAP_NET_RAW",
                                      raw_allowed = "ns_capable(CAP_NET_RAW): yes";
};

// inet_create over a protocol table: the real one (inetsw), or a user's table
// of the same shape (protos, types and flags of their own).
template <template <class> class Table = inetsw>
struct inet_family_t : inet_protosw_family<af_inet, inet_names, Table> {
    using base = inet_protosw_family<af_inet, inet_names, Table>;
    static constexpr const module* owner = nullptr;  // IPv4 cannot be a module

    // What inet_create does with the chosen entry: the sock, its inet fields,
    // hashing (raw), prot->init, and the release of a sock init refused.
    template <class K>
    static int construct(context<K>& cx, net& n, socket& sock, const create_choice& c, int kern)
    {
        sock.state = SS_UNCONNECTED;
        sock.ops = c.ops;
        struct sock* sk = sk_alloc(cx, n, af_inet, *c.prot, kern);
        if (!sk)
            return -ENOMEM;

        base::template inet_sock_from_entry<K>(sock, *sk, c);
        sock_init_data(cx, &sock, *sk);
        sk->sk_destruct = &kernel_fn<K, &inet_sock_destruct<K>>::call;
        sk->sk_protocol = c.protocol;
        base::inet_defaults(inet_sk(*sk));

        const int err = base::hash_and_init(cx, *sk);
        if (err) {
            SOCKMODEL_TRACE_NOTE(cx, "inet_create", [] { return kstring("goto out_sk_release"); });
            SOCKMODEL_TRACE_NOTE(cx, "inet_create", [] {
                return kstring("out_sk_release: sk_common_release(sk); sock->sk = NULL; goto out");
            });
            sk_common_release(cx, *sk);
            sock.sk = nullptr;
        }
        return err;
    }
};

using inet_family = inet_family_t<>;

}  // namespace sockmodel
