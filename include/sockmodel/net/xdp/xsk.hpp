// AF_XDP (net/xdp/xsk.c): xsk_create, xsk_release, xsk_proto_ops and xsk_proto.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>

#include <array>

namespace sockmodel {

enum xsk_state { XSK_READY = 0, XSK_BOUND, XSK_UNBOUND };

struct xdp_sock : sock {
    xsk_state state = XSK_READY;
    unsigned max_tx_budget = 0;
    bool listed = false;  // on net->xdp.list
};

inline xdp_sock& xdp_sk(sock& sk) { return static_cast<xdp_sock&>(sk); }

template <class K>
void xsk_destruct(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "xsk_destruct");
}

// xsk_release: off the netns's list (which held a reference), out of the
// maps, unbound, orphaned, the last reference dropped (after RCU: SOCK_RCU_FREE).
template <class K>
int xsk_release(context<K>& cx, socket& sock)
{
    auto t = trace::enter(cx, "xsk_release");
    struct sock* sk = sock.sk;
    if (!sk)
        return t.ret(0);
    if (xdp_sk(*sk).listed) {
        xdp_sk(*sk).listed = false;
        __sock_put(cx, *sk);  // sk_del_node_init_rcu
    }
    sock_prot_inuse_add(cx, *sk->sk_net, *sk, -1);
    sock_orphan(*sk);
    sock.sk = nullptr;
    sock_put(cx, *sk);
    return t.ret(0);
}

// xsk_proto: registered without a slab (proto_register(&xsk_proto, 0)); the
// model's proto_list gives every proto a cache, which only counts objects.
template <class K>
inline constexpr proto xsk_proto{
    .name = "XDP",
    .obj = proto_object<xdp_sock>{},
    .close = &kernel_fn<K, &sk_prot_no_close<K>>::call,
    .getsockopt_levels = {283 /* SOL_XDP */, proto::no_level, proto::no_level},
    .getsockopt_own = -EOPNOTSUPP,  // xsk_getsockopt's default
};

// xsk.c is never a module: THIS_MODULE is NULL.
template <class K>
inline constexpr proto_ops xsk_proto_ops{
    .family = af_xdp,
    .name = "xsk_proto_ops",
    .release = &kernel_fn<K, &xsk_release<K>>::call,
    .bind = {"xsk_bind"},
    .connect = sock_no_connect,
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = sock_no_getname,
    .poll = {"xsk_poll"},
    .ioctl = sock_no_ioctl,
    .listen = sock_no_listen,
    .shutdown = sock_no_shutdown,
    .setsockopt = {"xsk_setsockopt"},
    .getsockopt = {"xsk_getsockopt"},
    .sendmsg = {"xsk_sendmsg"},
    .recvmsg = {"xsk_recvmsg"},
    .mmap = {"xsk_mmap"},
};

struct xsk_protosw {
    const proto& prot;
    const proto_ops& ops;
};

template <class K>
struct xsk_protosw_table {
    static constexpr std::array<xsk_protosw, 1> entries{{{.prot = xsk_proto<K>, .ops = xsk_proto_ops<K>}}};
};

inline constexpr unsigned tx_batch_size = 32;  // TX_BATCH_SIZE

struct xsk_family {
    static constexpr int family = af_xdp;
    static constexpr const module* owner = nullptr;
    static constexpr std::string_view create_name = "xsk_create";

    template <class K>
    using protosw = xsk_protosw_table<K>;

    enum step : int { capability_check = 1, bad_type, bad_protocol, chosen };

    template <class K>
    static kstring describe(int type, int protocol, int kern)
    {
        return trace::decode_type<typename K::abi>(type) + ", " + to_kstring(protocol) + ", kern=" +
               to_kstring(kern);
    }

    // xsk_create's checks: CAP_NET_RAW over net->user_ns (no kern
    // exemption), then the type (RAW only), then the protocol (0 only).
    template <class K>
    static constexpr create_choice choose(const create_context& cx, int type, int protocol)
    {
        using abi = typename K::abi;
        if (!ns_capable(cx.user_ns, cx.cred, capability::net_raw))
            return create_choice::fail(-EPERM, capability_check);
        if (type != abi::sock_raw)
            return create_choice::fail(-ESOCKTNOSUPPORT, bad_type);
        if (protocol)
            return create_choice::fail(-EPROTONOSUPPORT, bad_protocol);
        const auto& e = protosw<K>::entries[0];
        return {0, chosen, &e.ops, &e.prot, type, 0, af_xdp};
    }

    template <class K>
    static void explain(context<K>& cx, const create_choice& c, int, int)
    {
        if (c.step == capability_check)
            SOCKMODEL_TRACE_NOTE(cx, "xsk_create", [] { return kstring("no CAP_NET_RAW over net->user_ns"); });
    }

    template <class K>
    static int construct(context<K>& cx, net& n, socket& sock, const create_choice& c, int kern)
    {
        sock.state = SS_UNCONNECTED;
        struct sock* sk = sk_alloc(cx, n, af_xdp, *c.prot, kern);
        if (!sk)
            return -ENOBUFS;
        sock.ops = c.ops;
        sock_init_data(cx, &sock, *sk);
        sk->sk_family = af_xdp;
        sk->sk_destruct = &kernel_fn<K, &xsk_destruct<K>>::call;
        sk->set_flag(sock_flag::rcu_free);
        xdp_sock& xs = xdp_sk(*sk);
        xs.state = XSK_READY;
        xs.max_tx_budget = tx_batch_size;
        // sk_add_node_rcu on net->xdp.list: the list holds a reference.
        sock_hold(cx, *sk);
        xs.listed = true;
        sock_prot_inuse_add(cx, n, *sk, 1);
        return 0;
    }
};

}  // namespace sockmodel
