// AF_PACKET (net/packet/af_packet.c): packet_create, packet_release, the
// two ops tables (packet_ops, and packet_ops_spkt for the obsolete
// SOCK_PACKET, which (AF_INET, SOCK_PACKET) also reaches through
// __sock_create's rewrite) and packet_proto.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>

#include <array>
#include <bit>

namespace sockmodel {

// The ETH_P_* names AF_PACKET prints, as htons(ETH_P_*) (sockmodel-trace, the trace notes).
inline constexpr trace::name_value ethertype_names[] = {
    {"ETH_P_ALL", 0x0003}, {"ETH_P_IP", 0x0800}, {"ETH_P_ARP", 0x0806},
    {"ETH_P_IPV6", 0x86DD}, {"ETH_P_8021Q", 0x8100},
};

// Fault points (fault/fault.hpp) of this file's functions.
namespace fault_point {
inline constexpr fault_point_info packet_alloc_pending{.name = "packet_alloc_pending", .fn = "packet_create", .what = "packet_alloc_pending: alloc_percpu returns NULL", .err = -ENOBUFS};
}  // namespace fault_point

// af_packet.c's THIS_MODULE: CONFIG_PACKET may be a module.
inline constexpr module packet_module{"af_packet"};

struct packet_sock : sock {
    unsigned short num = 0;     // po->num: the protocol, as the __be16 socket() was given
    bool hook_running = false;  // po->running: prot_hook registered (dev_add_pack)
    bool spkt = false;          // prot_hook.func is packet_rcv_spkt
};

inline packet_sock& pkt_sk(sock& sk) { return static_cast<packet_sock&>(sk); }

struct packet_family;

// __register_prot_hook: on the global ptype list; the hook holds a reference.
template <class K>
void __register_prot_hook(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "__register_prot_hook");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::hex(pkt_sk(sk).num); });
    pkt_sk(sk).hook_running = true;
    {
        auto& ptype = cx.k.template family_state<packet_family>();
        auto ptype_lock = guard(cx, ptype.ptype_lock);  // dev_add_pack: list_add_rcu under ptype_lock
        ++ptype.prot_hooks;
    }
    sock_hold(cx, sk);
}

// __unregister_prot_hook: off the list, and the hook's reference dropped
// (__sock_put: never the last one here).
template <class K>
void __unregister_prot_hook(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "__unregister_prot_hook");
    pkt_sk(sk).hook_running = false;
    {
        auto& ptype = cx.k.template family_state<packet_family>();
        auto ptype_lock = guard(cx, ptype.ptype_lock);  // __dev_remove_pack: list_del_rcu under ptype_lock
        --ptype.prot_hooks;
    }
    __sock_put(cx, sk);
}

template <class K>
void packet_sock_destruct(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "packet_sock_destruct");
}

// packet_release: off the netns's packet list, the hook unregistered,
// orphaned, the pending counters freed, the last reference dropped.
template <class K>
int packet_release(context<K>& cx, socket& sock)
{
    auto t = trace::enter(cx, "packet_release");
    struct sock* sk = sock.sk;
    if (!sk)
        return t.ret(0);
    sock_prot_inuse_add(cx, *sk->sk_net, *sk, -1);
    if (pkt_sk(*sk).hook_running)
        __unregister_prot_hook(cx, *sk);
    sock_orphan(*sk);
    sock.sk = nullptr;
    sock_put(cx, *sk);
    return t.ret(0);
}

template <class K>
inline constexpr proto packet_proto{
    .name = "PACKET",
    .owner = &packet_module,
    .obj = proto_object<packet_sock>{},
    .close = &kernel_fn<K, &sk_prot_no_close<K>>::call,
};

// SOCK_PACKET: no setsockopt/getsockopt of its own.
template <class K>
inline constexpr proto_ops packet_ops_spkt{
    .family = af_packet,
    .owner = &packet_module,
    .name = "packet_ops_spkt",
    .release = &kernel_fn<K, &packet_release<K>>::call,
    .bind = {"packet_bind_spkt"},
    .connect = sock_no_connect,
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"packet_getname_spkt"},
    .poll = {"datagram_poll"},
    .ioctl = {"packet_ioctl"},
    .listen = sock_no_listen,
    .shutdown = sock_no_shutdown,
    .setsockopt = unset_sockopt,
    .getsockopt = unset_sockopt,
    .sendmsg = {"packet_sendmsg_spkt"},
    .recvmsg = {"packet_recvmsg"},
    .mmap = sock_no_mmap,
};

template <class K>
inline constexpr proto_ops packet_ops{
    .family = af_packet,
    .owner = &packet_module,
    .name = "packet_ops",
    .release = &kernel_fn<K, &packet_release<K>>::call,
    .bind = {"packet_bind"},
    .connect = sock_no_connect,
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"packet_getname"},
    .poll = {"packet_poll"},
    .ioctl = {"packet_ioctl"},
    .listen = sock_no_listen,
    .shutdown = sock_no_shutdown,
    .setsockopt = {"packet_setsockopt"},
    .getsockopt = {"packet_getsockopt"},
    .sendmsg = {"packet_sendmsg"},
    .recvmsg = {"packet_recvmsg"},
    .mmap = {"packet_mmap"},
};

// packet_create's choice of ops as a table: SOCK_PACKET gets packet_ops_spkt,
// SOCK_DGRAM and SOCK_RAW packet_ops; one proto for all.
struct packet_protosw {
    int type;
    const proto& prot;
    const proto_ops& ops;
};

template <class K>
struct packet_protosw_table {
    using abi = typename K::abi;
    static constexpr std::array<packet_protosw, 3> entries{{
        {.type = abi::sock_dgram, .prot = packet_proto<K>, .ops = packet_ops<K>},
        {.type = abi::sock_raw, .prot = packet_proto<K>, .ops = packet_ops<K>},
        {.type = abi::sock_packet, .prot = packet_proto<K>, .ops = packet_ops_spkt<K>},
    }};
};

struct packet_family {
    // The family's own fault points (the path's are every kernel's).
    using fault_points = fault::point_list<&fault_point::packet_alloc_pending>;
    static constexpr int family = af_packet;
    static constexpr const module* owner = &packet_module;
    // The names sockmodel-trace and the notes print for a protocol number: a
    // protocol is an ethertype in network order (htons(ETH_P_ALL)).
    static kstring protocol_name(int protocol)
    {
        if (protocol < 0 || protocol > 0xffff)
            return {};
        const auto be = static_cast<unsigned>(protocol);
        const int host_order = std::endian::native == std::endian::little
                                   ? static_cast<int>(((be & 0xffU) << 8) | (be >> 8))
                                   : protocol;
        const std::string_view name = trace::name_of(ethertype_names, host_order);
        return name.empty() ? kstring() : "htons(" + kstring(name) + ")";
    }
    static constexpr std::string_view create_name = "packet_create";

    template <class K>
    using protosw = packet_protosw_table<K>;

    // The global ptype_all/ptype_base entries packet sockets registered,
    // changed under ptype_lock (net/core/dev.c); read it when no call is in flight.
    struct state {
        spinlock_t ptype_lock;
        long prot_hooks = 0;
        long in_use() const { return prot_hooks; }
    };

    enum step : int { capability_check = 1, bad_type, chosen };

    template <class K>
    static kstring describe(int type, int protocol, int kern)
    {
        return trace::decode_type<typename K::abi>(type) + ", " + trace::decode_protocol<family_list<packet_family>>(af_packet, protocol) +
               ", kern=" + to_kstring(kern);
    }

    // packet_create's checks: CAP_NET_RAW over net->user_ns first (no kern
    // exemption), then the type. The protocol is not checked at all: it is
    // kept as the 16-bit value po->num; sk_protocol is never set, so
    // SO_PROTOCOL reads 0.
    template <class K>
    static constexpr create_choice choose(const create_context& cx, int type, int protocol)
    {
        if (!ns_capable(cx.user_ns, cx.cred, capability::net_raw))
            return create_choice::fail(-EPERM, capability_check);
        for (const packet_protosw& e : protosw<K>::entries)
            if (e.type == type) {
                create_choice c{0, chosen, &e.ops, &e.prot, type, 0, af_packet};
                c.data = static_cast<unsigned short>(protocol);  // (__be16)protocol
                return c;
            }
        return create_choice::fail(-ESOCKTNOSUPPORT, bad_type);
    }

    template <class K>
    static void explain(context<K>& cx, const create_choice& c, int, int)
    {
        if (c.step == capability_check) {
            SOCKMODEL_TRACE_NOTE(cx, "packet_create", [] { return kstring("no CAP_NET_RAW over net->user_ns"); });
            return;
        }
        if (c.err)
            return;
        SOCKMODEL_TRACE_NOTE(cx, "packet_create", [&] {
            return "sock->ops = &" + kstring(c.ops->name) + "; po->num = " +
                   trace::hex(static_cast<long>(c.data)) + (c.data ? "" : " (no receive hook yet)");
        });
    }

    template <class K>
    static int construct(context<K>& cx, net& n, socket& sock, const create_choice& c, int kern)
    {
        using abi = typename K::abi;
        sock.state = SS_UNCONNECTED;
        struct sock* sk = sk_alloc(cx, n, af_packet, *c.prot, kern);
        if (!sk)
            return -ENOBUFS;
        sock.ops = c.ops;
        // packet_alloc_pending: the per-CPU counters themselves are not modelled;
        // since 6.12 it runs before sock_init_data, and its failure frees the sk.
        if (should_fail<&fault_point::packet_alloc_pending>(cx)) {
            SOCKMODEL_TRACE_NOTE(cx, "packet_create", [] { return kstring("goto out_sk_free: sk_free(sk)"); });
            sk_free(cx, *sk);
            return fault_point::packet_alloc_pending.err;
        }
        sock_init_data(cx, &sock, *sk);
        sk->sk_family = af_packet;
        packet_sock& po = pkt_sk(*sk);
        po.num = static_cast<unsigned short>(c.data);
        sk->sk_destruct = &kernel_fn<K, &packet_sock_destruct<K>>::call;
        po.spkt = sock.type == abi::sock_packet;
        if (po.num)
            __register_prot_hook(cx, *sk);
        sock_prot_inuse_add(cx, n, *sk, 1);
        return 0;
    }
};

}  // namespace sockmodel
