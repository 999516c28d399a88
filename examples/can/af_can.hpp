// AF_CAN (net/can/af_can.c, net/can/raw.c, net/can/bcm.c) as a family of the
// user's own: one header of user code, outside include/, that plugs into
// sockmodel the way the library's own families do (docs/families.md). Register it at boot with
//
//     sockmodel::config<sockmodel::opt::families<..., can_example::can_family>>
//
// or at run time, as `modprobe can can-raw can-bcm` would, with
//
//     k.register_family<can_example::can_family>();
//
// Where the decisions come from. This host's kernel (6.18) has no AF_CAN:
// socket(AF_CAN, ...) answers EAFNOSUPPORT there, so nothing below could be
// measured against a live kernel. Every decision is read from the kernel
// source instead, and each comment says which function it follows:
//   * can_create (net/can/af_can.c): sock->state = SS_UNCONNECTED; the
//     protocol range check (protocol < 0 || protocol >= CAN_NPROTO: EINVAL,
//     before any lookup); can_get_proto (proto_tab[protocol], and a
//     reference on cp->prot->owner, NULL when that module is going), then
//     request_module("can-proto-%d") and a second lookup (the model has no
//     module loader: it finds nothing); no entry: EPROTONOSUPPORT; cp->type
//     != sock->type: EPROTOTYPE; no capability check at all; sock->ops =
//     cp->ops; sk_alloc (ENOMEM); sock_init_data; sk_destruct =
//     can_sock_destruct; prot->init; on an init error the sock is orphaned,
//     put and sock->sk cleared (6.13's "do not leave a dangling sk pointer"
//     fix); can_put_proto at errout.
//   * can_create never sets sk->sk_protocol: SO_PROTOCOL reads 0 on a CAN
//     socket (sk_alloc hands out a zeroed sock). SO_DOMAIN is PF_CAN.
//   * raw_proto / bcm_proto have .owner = THIS_MODULE (can-raw.ko, can-bcm.ko,
//     module names can_raw and can_bcm) and no .close; raw_ops / bcm_ops have
//     no .owner (NULL), so the reference that keeps can_raw/can_bcm loaded
//     while a socket is open is the one sk_prot_alloc takes on the proto's
//     owner. The family itself (can.ko) is THIS_MODULE of af_can.c.
//   * bcm_ops has no setsockopt/getsockopt (left NULL since 5.9).
//   * raw_init / bcm_init: the per-socket defaults and the add to the
//     protocol's netdevice notifier list; raw_init's alloc_percpu can fail
//     (ENOMEM). raw_release / bcm_release undo them, orphan the sock, clear
//     sock->sk and drop the last reference.
// Not modelled: proto_register(cp->prot, 0) registers CAN protos without a
// slab (the model gives every proto one); /proc/net/can*, receive filters,
// bound devices, bcm ops and timers (a freshly created socket has none). The
// order "can_get_proto before the type check" matters only when the protocol
// module is going: the kernel then answers EPROTONOSUPPORT even for the wrong
// type, while `choose`, a constant expression that sees no module state,
// answers EPROTOTYPE (module state is run-time state the verdict leaves out).
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/module.hpp>
#include <sockmodel/linux/net.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/net/sock.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <array>
#include <string>
#include <string_view>

namespace can_example {

// include/linux/socket.h and include/uapi/linux/can.h
inline constexpr int af_can = 29;  // AF_CAN == PF_CAN
inline constexpr int can_raw = 1, can_bcm = 2, can_tp16 = 3, can_tp20 = 4, can_mcnet = 5, can_isotp = 6,
                     can_j1939 = 7;
inline constexpr int can_nproto = 8;  // CAN_NPROTO

// The family's fault point (fault/fault.hpp): raw_init's alloc_percpu of the
// socket's uniqframe. Listed in can_family::fault_points, so a kernel that
// configures the family can fail it (k.faults.fail_nth(can_example::raw_init_uniq, 1)),
// and a tracer built with the family lists it with the library's points.
inline constexpr sockmodel::fault_point_info raw_init_uniq{
    .name = "can_raw_init_uniq", .fn = "raw_init", .what = "alloc_percpu(struct uniqframe) returns NULL", .err = -ENOMEM};

inline constexpr std::string_view can_protocol_name(int protocol)
{
    constexpr std::array<std::string_view, can_nproto> names{
        "0", "CAN_RAW", "CAN_BCM", "CAN_TP16", "CAN_TP20", "CAN_MCNET", "CAN_ISOTP", "CAN_J1939"};
    return protocol >= 0 && protocol < can_nproto ? names[static_cast<std::size_t>(protocol)] : std::string_view{};
}

// THIS_MODULE of af_can.c, raw.c and bcm.c: CONFIG_CAN, CONFIG_CAN_RAW and
// CONFIG_CAN_BCM are tristates, built as modules by distributions.
inline constexpr sockmodel::module can_module{"can"};
inline constexpr sockmodel::module can_raw_module{"can_raw"};
inline constexpr sockmodel::module can_bcm_module{"can_bcm"};

struct can_family;

// struct raw_sock (net/can/raw.c), the fields a new socket sets.
struct raw_sock : sockmodel::sock {
    int bound = 0;
    int ifindex = 0;
    int count = 0;  // active filters: 1, the default dfilter
    int loopback = 0;
    int recv_own_msgs = 0;
    int fd_frames = 0;
    int xl_frames = 0;
    int join_filters = 0;
    bool uniq = false;      // ro->uniq: alloc_percpu(struct uniqframe)
    bool notifier = false;  // on raw_notifier_list
};

// struct bcm_sock (net/can/bcm.c).
struct bcm_sock : sockmodel::sock {
    int bound = 0;
    int ifindex = 0;
    unsigned long dropped_usr_msgs = 0;
    int tx_ops = 0, rx_ops = 0;  // the tx_ops/rx_ops lists: empty on a new socket
    bool notifier = false;       // on bcm_notifier_list
};

inline raw_sock& raw_sk(sockmodel::sock& sk) { return static_cast<raw_sock&>(sk); }
inline bcm_sock& bcm_sk(sockmodel::sock& sk) { return static_cast<bcm_sock&>(sk); }

// raw_notifier_list and bcm_notifier_list: global lists of every open socket
// of the protocol. A configured family keeps them as its state
// (k.family_state<can_family>(), counted by k.counters()); a family
// registered at run time has no state in the kernel (kernel.hpp), so there
// they are not kept.
struct can_notifier_lists {
    long raw = 0;
    long bcm = 0;
    long in_use() const { return raw + bcm; }
};

template <class K>
can_notifier_lists* notifier_lists(sockmodel::context<K>& cx)
{
    if constexpr (K::template configured<can_family>)
        return &cx.k.template family_state<can_family>();
    else
        return nullptr;
}

// --- net/can/raw.c -------------------------------------------------------------

template <class K>
int raw_init(sockmodel::context<K>& cx, sockmodel::sock& sk)
{
    auto t = sockmodel::trace::enter(cx, "raw_init");
    raw_sock& ro = raw_sk(sk);
    ro.bound = 0;
    ro.ifindex = 0;
    ro.count = 1;  // ro->filter = &ro->dfilter: one filter that passes everything
    ro.loopback = 1;
    ro.recv_own_msgs = 0;
    ro.fd_frames = 0;
    ro.xl_frames = 0;
    ro.join_filters = 0;
    if (sockmodel::should_fail<&raw_init_uniq>(cx))  // alloc_percpu(struct uniqframe)
        return t.ret(-ENOMEM);
    ro.uniq = true;
    ro.notifier = true;
    if (auto* lists = notifier_lists(cx))
        ++lists->raw;
    return t.ret(0);
}

template <class K>
int raw_release(sockmodel::context<K>& cx, sockmodel::socket& sock)
{
    auto t = sockmodel::trace::enter(cx, "raw_release");
    sockmodel::sock* sk = sock.sk;
    if (!sk)
        return t.ret(0);
    raw_sock& ro = raw_sk(*sk);
    ro.notifier = false;  // list_del(&ro->notifier)
    if (auto* lists = notifier_lists(cx))
        --lists->raw;
    // Not bound, so no filters to disable; count is 1, so no filter array to free.
    ro.ifindex = 0;
    ro.bound = 0;
    ro.count = 0;
    ro.uniq = false;  // free_percpu(ro->uniq)
    sockmodel::sock_orphan(*sk);
    sock.sk = nullptr;
    sockmodel::sock_put(cx, *sk);
    return t.ret(0);
}

template <class K>
inline constexpr sockmodel::proto raw_proto{
    .name = "CAN_RAW",
    .owner = &can_raw_module,
    .obj = sockmodel::proto_object<raw_sock>{},
    .init = &sockmodel::kernel_fn<K, &raw_init<K>>::call,
    // raw_proto has no .close: raw_release never calls sk_prot->close.
    .close = &sockmodel::kernel_fn<K, &sockmodel::sk_prot_no_close<K>>::call,
};

// raw_ops has no .owner in raw.c: NULL, as for a built-in table.
template <class K>
inline constexpr sockmodel::proto_ops raw_ops{
    .family = af_can,
    .name = "raw_ops",
    .release = &sockmodel::kernel_fn<K, &raw_release<K>>::call,
    .bind = {"raw_bind"},
    .connect = sockmodel::sock_no_connect,
    .socketpair = sockmodel::sock_no_socketpair,
    .accept = sockmodel::sock_no_accept,
    .getname = {"raw_getname"},
    .poll = {"datagram_poll"},
    .ioctl = {"raw_sock_no_ioctlcmd"},
    .listen = sockmodel::sock_no_listen,
    .shutdown = sockmodel::sock_no_shutdown,
    .setsockopt = {"raw_setsockopt"},
    .getsockopt = {"raw_getsockopt"},
    .sendmsg = {"raw_sendmsg"},
    .recvmsg = {"raw_recvmsg"},
    .mmap = sockmodel::sock_no_mmap,
};

// --- net/can/bcm.c -------------------------------------------------------------

template <class K>
int bcm_init(sockmodel::context<K>& cx, sockmodel::sock& sk)
{
    auto t = sockmodel::trace::enter(cx, "bcm_init");
    bcm_sock& bo = bcm_sk(sk);
    bo.bound = 0;
    bo.ifindex = 0;
    bo.dropped_usr_msgs = 0;
    bo.tx_ops = bo.rx_ops = 0;  // INIT_LIST_HEAD
    bo.notifier = true;
    if (auto* lists = notifier_lists(cx))
        ++lists->bcm;
    return t.ret(0);
}

template <class K>
int bcm_release(sockmodel::context<K>& cx, sockmodel::socket& sock)
{
    auto t = sockmodel::trace::enter(cx, "bcm_release");
    sockmodel::sock* sk = sock.sk;
    if (!sk)
        return t.ret(0);
    bcm_sock& bo = bcm_sk(*sk);
    bo.notifier = false;  // list_del(&bo->notifier)
    if (auto* lists = notifier_lists(cx))
        --lists->bcm;
    bo.tx_ops = bo.rx_ops = 0;  // bcm_remove_op for each: none on a socket never used
    bo.bound = 0;
    bo.ifindex = 0;
    sockmodel::sock_orphan(*sk);
    sock.sk = nullptr;
    sockmodel::sock_put(cx, *sk);
    return t.ret(0);
}

template <class K>
inline constexpr sockmodel::proto bcm_proto{
    .name = "CAN_BCM",
    .owner = &can_bcm_module,
    .obj = sockmodel::proto_object<bcm_sock>{},
    .init = &sockmodel::kernel_fn<K, &bcm_init<K>>::call,
    .close = &sockmodel::kernel_fn<K, &sockmodel::sk_prot_no_close<K>>::call,
};

template <class K>
inline constexpr sockmodel::proto_ops bcm_ops{
    .family = af_can,
    .name = "bcm_ops",
    .release = &sockmodel::kernel_fn<K, &bcm_release<K>>::call,
    .bind = sockmodel::sock_no_bind,
    .connect = {"bcm_connect"},
    .socketpair = sockmodel::sock_no_socketpair,
    .accept = sockmodel::sock_no_accept,
    .getname = sockmodel::sock_no_getname,
    .poll = {"datagram_poll"},
    .ioctl = {"bcm_sock_no_ioctlcmd"},
    .listen = sockmodel::sock_no_listen,
    .shutdown = sockmodel::sock_no_shutdown,
    .setsockopt = sockmodel::unset_sockopt,
    .getsockopt = sockmodel::unset_sockopt,
    .sendmsg = {"bcm_sendmsg"},
    .recvmsg = {"bcm_recvmsg"},
    .mmap = sockmodel::sock_no_mmap,
};

// --- net/can/af_can.c ----------------------------------------------------------

// struct can_proto (include/linux/can/core.h): what can_proto_register puts in
// proto_tab[protocol].
struct can_proto {
    int type;
    int protocol;
    const sockmodel::proto_ops& ops;
    const sockmodel::proto& prot;
};

// proto_tab with can-raw and can-bcm loaded: the protocol table the family
// registers (each entry's proto is proto_register()ed, its modules made known).
template <class K>
struct can_proto_tab {
    using abi = typename K::abi;
    static constexpr std::array<can_proto, 2> entries{{
        {.type = abi::sock_raw, .protocol = can_raw, .ops = raw_ops<K>, .prot = raw_proto<K>},
        {.type = abi::sock_dgram, .protocol = can_bcm, .ops = bcm_ops<K>, .prot = bcm_proto<K>},
    }};
};

template <class K>
void can_sock_destruct(sockmodel::context<K>& cx, sockmodel::sock&)
{
    // skb_queue_purge of the receive and error queues: empty here.
    auto t = sockmodel::trace::enter(cx, "can_sock_destruct");
}

struct can_family {
    static constexpr int family = af_can;
    static constexpr const sockmodel::module* owner = &can_module;
    static constexpr std::string_view create_name = "can_create";
    // What the family adds to a kernel's fault table and to the names a tracer prints.
    using fault_points = sockmodel::fault::point_list<&raw_init_uniq>;
    static constexpr std::string_view protocol_name(int protocol) { return can_protocol_name(protocol); }

    template <class K>
    using protosw = can_proto_tab<K>;

    using state = can_notifier_lists;

    enum step : int { protocol_range = 1, not_registered, wrong_type, chosen };

    template <class K>
    static std::string describe(int type, int protocol, int kern)
    {
        const std::string_view name = can_protocol_name(protocol);
        return sockmodel::trace::decode_type<typename K::abi>(type) + ", " +
               (name.empty() ? std::to_string(protocol) : std::string(name)) + ", kern=" + std::to_string(kern);
    }

    // can_create's checks before it allocates, in its order. No capability
    // check: CAN_RAW and CAN_BCM are open to every user.
    template <class K>
    static constexpr sockmodel::create_choice choose(const sockmodel::create_context&, int type, int protocol)
    {
        using sockmodel::create_choice;
        if (protocol < 0 || protocol >= can_nproto)
            return create_choice::fail(-EINVAL, protocol_range);
        for (const can_proto& cp : protosw<K>::entries) {
            if (cp.protocol != protocol)
                continue;
            // sk_protocol is never set by can_create: 0.
            create_choice c{0, chosen, &cp.ops, &cp.prot, type, 0, af_can};
            if (cp.type != type) {
                c.err = -EPROTOTYPE;
                c.step = wrong_type;
            }
            c.data = static_cast<unsigned long>(cp.type);
            return c;
        }
        // proto_tab[protocol] is NULL, and request_module("can-proto-%d") loads nothing.
        return create_choice::fail(-EPROTONOSUPPORT, not_registered);
    }

    template <class K>
    static void explain(sockmodel::context<K>& cx, const sockmodel::create_choice& c, int type, int protocol)
    {
        using abi = typename K::abi;
        switch (c.step) {
        case protocol_range:
            SOCKMODEL_TRACE_NOTE(cx, "can_create", [] { return std::string("protocol outside 0..CAN_NPROTO-1"); });
            break;
        case not_registered:
            SOCKMODEL_TRACE_NOTE(cx, "can_create", [&] {
                return "proto_tab[" + std::to_string(protocol) + "] is NULL; request_module(\"can-proto-" +
                       std::to_string(protocol) + "\") finds no module";
            });
            break;
        case wrong_type:
            SOCKMODEL_TRACE_NOTE(cx, "can_create", [&] {
                return "proto_tab[" + std::to_string(protocol) + "]: " + std::string(c.prot->name) + " is " +
                       sockmodel::trace::decode_type<abi>(static_cast<int>(c.data)) + ", not " +
                       sockmodel::trace::decode_type<abi>(type) +
                       ": -EPROTOTYPE (can_get_proto's module reference is put again at errout)";
            });
            break;
        case chosen:
            SOCKMODEL_TRACE_NOTE(cx, "can_create", [&] {
                return "proto_tab[" + std::to_string(protocol) + "]: " + std::string(c.prot->name) +
                       ", sock->ops = &" + std::string(c.ops->name);
            });
            break;
        default:
            break;
        }
    }

    // The run-time half of can_create, from can_get_proto on.
    template <class K>
    static int construct(sockmodel::context<K>& cx, sockmodel::net& n, sockmodel::socket& sock,
                         const sockmodel::create_choice& c, int kern)
    {
        sock.state = sockmodel::SS_UNCONNECTED;
        const sockmodel::proto& prot = *c.prot;
        // can_get_proto: the entry only with a reference on its proto's module.
        if (!can_get_proto(cx, prot))
            return -EPROTONOSUPPORT;
        int err = 0;
        sock.ops = c.ops;
        sockmodel::sock* sk = sockmodel::sk_alloc(cx, n, af_can, prot, kern);
        if (!sk) {
            err = -ENOMEM;
        } else {
            sockmodel::sock_init_data(cx, &sock, *sk);
            sk->sk_destruct = &sockmodel::kernel_fn<K, &can_sock_destruct<K>>::call;
            // An init that throws: what construct took itself (can_get_proto's
            // reference) is given back; __sock_create releases sock->sk.
            try {
                if (sk->sk_prot->init)
                    err = sk->sk_prot->init(&cx, *sk);
            } catch (...) {
                can_put_proto(cx, prot);
                throw;
            }
            if (err) {
                // release sk on errors
                sockmodel::sock_orphan(*sk);
                sockmodel::sock_put(cx, *sk);
                sock.sk = nullptr;
            }
        }
        can_put_proto(cx, prot);  // errout
        return err;
    }

private:
    template <class K>
    static bool can_get_proto(sockmodel::context<K>& cx, const sockmodel::proto& prot)
    {
        auto t = sockmodel::trace::enter(cx, "can_get_proto");
        SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return std::string(prot.name); });
        if (!cx.k.modules.try_get(prot.owner)) {
            SOCKMODEL_TRACE_NOTE(cx, "can_get_proto", [] {
                return std::string("try_module_get(cp->prot->owner) failed: cp = NULL");
            });
            return t.ret_ptr(static_cast<const sockmodel::proto*>(nullptr)) != nullptr;
        }
        return t.ret_ptr(&prot) != nullptr;
    }

    template <class K>
    static void can_put_proto(sockmodel::context<K>& cx, const sockmodel::proto& prot)
    {
        auto t = sockmodel::trace::enter(cx, "can_put_proto");
        SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return std::string(prot.name); });
        cx.k.modules.put(prot.owner);
    }
};

}  // namespace can_example
