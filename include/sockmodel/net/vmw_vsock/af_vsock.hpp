// AF_VSOCK (net/vmw_vsock/af_vsock.c): vsock_create, __vsock_create,
// vsock_release, the three ops tables and vsock_proto, and the loaded
// transports (vsock_core_register), which are kernel state: SOCK_DGRAM
// needs a transport registered with VSOCK_TRANSPORT_F_DGRAM at create time;
// STREAM and SEQPACKET choose theirs at connect.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>

#include <array>
#include <cstdint>

namespace sockmodel {

// af_vsock.c's THIS_MODULE: CONFIG_VSOCKETS may be a module.
inline constexpr module vsock_module{"vsock"};

// vsock_core_register's features (include/net/af_vsock.h, VSOCK_TRANSPORT_F_*).
enum vsock_transport_feature : unsigned {
    VSOCK_TRANSPORT_F_H2G = 0x1,
    VSOCK_TRANSPORT_F_G2H = 0x2,
    VSOCK_TRANSPORT_F_DGRAM = 0x4,
    VSOCK_TRANSPORT_F_LOCAL = 0x8,
};

struct vsock_sock : sock {
    unsigned local_cid = 0, local_port = 0, remote_cid = 0, remote_port = 0;
    bool trusted = false;  // ns_capable_noaudit(&init_user_ns, CAP_NET_ADMIN) at create
    bool has_transport = false;
    bool unbound_listed = false;
    unsigned long long buffer_size = 0, buffer_min_size = 0, buffer_max_size = 0;
};

inline vsock_sock& vsock_sk(sock& sk) { return static_cast<vsock_sock&>(sk); }

inline constexpr unsigned vmaddr_cid_any = ~0U;   // VMADDR_CID_ANY
inline constexpr unsigned vmaddr_port_any = ~0U;  // VMADDR_PORT_ANY

struct vsock_family;

// vsock_sk_destruct: the transport and the owner's cred let go.
template <class K>
void vsock_sk_destruct(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "vsock_sk_destruct");
    vsock_sk(sk).has_transport = false;
}

// vsock_remove_sock: off the global bound/unbound tables, each of which held a reference.
template <class K>
void vsock_remove_sock(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "vsock_remove_sock");
    vsock_sock& vsk = vsock_sk(sk);
    if (vsk.unbound_listed) {
        vsk.unbound_listed = false;
        {
            auto& tables = cx.k.template family_state<vsock_family>();
            auto vsock_table_lock = guard(cx, tables.vsock_table_lock);  // vsock_remove_bound
            --tables.unbound;
        }
        __sock_put(cx, sk);
    }
}

// vsock_release → __vsock_release: off the tables, orphaned, shut down, the last reference dropped.
template <class K>
int vsock_release(context<K>& cx, socket& sock)
{
    auto t = trace::enter(cx, "vsock_release");
    if (struct sock* sk = sock.sk) {
        vsock_remove_sock(cx, *sk);
        sock_orphan(*sk);
        sock_put(cx, *sk);
    }
    sock.sk = nullptr;
    sock.state = SS_FREE;
    return t.ret(0);
}

template <class K>
inline constexpr proto vsock_proto{
    .name = "AF_VSOCK",
    .owner = &vsock_module,
    .obj = proto_object<vsock_sock>{},
    .close = &kernel_fn<K, &sk_prot_no_close<K>>::call,
};

template <class K>
inline constexpr proto_ops vsock_dgram_ops{
    .family = af_vsock,
    .owner = &vsock_module,
    .name = "vsock_dgram_ops",
    .release = &kernel_fn<K, &vsock_release<K>>::call,
    .bind = {"vsock_bind"},
    .connect = {"vsock_dgram_connect"},
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"vsock_getname"},
    .poll = {"vsock_poll"},
    .ioctl = {"vsock_ioctl"},
    .listen = sock_no_listen,
    .shutdown = {"vsock_shutdown"},
    .setsockopt = unset_sockopt,
    .getsockopt = unset_sockopt,
    .sendmsg = {"vsock_dgram_sendmsg"},
    .recvmsg = {"vsock_dgram_recvmsg"},
    .mmap = sock_no_mmap,
};

template <class K>
inline constexpr proto_ops vsock_stream_ops{
    .family = af_vsock,
    .owner = &vsock_module,
    .name = "vsock_stream_ops",
    .release = &kernel_fn<K, &vsock_release<K>>::call,
    .bind = {"vsock_bind"},
    .connect = {"vsock_connect"},
    .socketpair = sock_no_socketpair,
    .accept = {"vsock_accept"},
    .getname = {"vsock_getname"},
    .poll = {"vsock_poll"},
    .ioctl = {"vsock_ioctl"},
    .listen = {"vsock_listen"},
    .shutdown = {"vsock_shutdown"},
    .setsockopt = {"vsock_connectible_setsockopt"},
    .getsockopt = {"vsock_connectible_getsockopt"},
    .sendmsg = {"vsock_connectible_sendmsg"},
    .recvmsg = {"vsock_connectible_recvmsg"},
    .mmap = sock_no_mmap,
};

template <class K>
inline constexpr proto_ops vsock_seqpacket_ops{
    .family = af_vsock,
    .owner = &vsock_module,
    .name = "vsock_seqpacket_ops",
    .release = &kernel_fn<K, &vsock_release<K>>::call,
    .bind = {"vsock_bind"},
    .connect = {"vsock_connect"},
    .socketpair = sock_no_socketpair,
    .accept = {"vsock_accept"},
    .getname = {"vsock_getname"},
    .poll = {"vsock_poll"},
    .ioctl = {"vsock_ioctl"},
    .listen = {"vsock_listen"},
    .shutdown = {"vsock_shutdown"},
    .setsockopt = {"vsock_connectible_setsockopt"},
    .getsockopt = {"vsock_connectible_getsockopt"},
    .sendmsg = {"vsock_connectible_sendmsg"},
    .recvmsg = {"vsock_connectible_recvmsg"},
    .mmap = sock_no_mmap,
};

// vsock_create's type switch as a table.
struct vsock_protosw {
    int type;
    const proto& prot;
    const proto_ops& ops;
};

template <class K>
struct vsock_protosw_table {
    using abi = typename K::abi;
    static constexpr std::array<vsock_protosw, 3> entries{{
        {.type = abi::sock_dgram, .prot = vsock_proto<K>, .ops = vsock_dgram_ops<K>},
        {.type = abi::sock_stream, .prot = vsock_proto<K>, .ops = vsock_stream_ops<K>},
        {.type = abi::sock_seqpacket, .prot = vsock_proto<K>, .ops = vsock_seqpacket_ops<K>},
    }};
};

// __vsock_create: the sock with unbound addresses, default buffer sizes,
// and whether the creator is trusted (CAP_NET_ADMIN over init_user_ns).
template <class K>
sock* __vsock_create(context<K>& cx, net& n, socket* sock, const proto& prot, int kern)
{
    auto t = trace::enter(cx, "__vsock_create");
    struct sock* sk = sk_alloc(cx, n, af_vsock, prot, kern);
    if (!sk)
        return t.ret_ptr(sk);
    sock_init_data(cx, sock, *sk);
    vsock_sock& vsk = vsock_sk(*sk);
    vsk.local_cid = vsk.remote_cid = vmaddr_cid_any;
    vsk.local_port = vsk.remote_port = vmaddr_port_any;
    sk->sk_destruct = &kernel_fn<K, &vsock_sk_destruct<K>>::call;
    vsk.trusted = ns_capable(init_user_ns, cx.current.cred, capability::net_admin);
    vsk.buffer_size = vsk.buffer_max_size = 256 * 1024;
    vsk.buffer_min_size = 128;
    return t.ret_ptr(sk);
}

// __vsock_insert_unbound: the global unbound table, which holds a reference.
template <class K>
void vsock_insert_unbound(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "vsock_insert_unbound");
    sock_hold(cx, sk);
    vsock_sk(sk).unbound_listed = true;
    auto& tables = cx.k.template family_state<vsock_family>();
    auto vsock_table_lock = guard(cx, tables.vsock_table_lock);
    ++tables.unbound;
}

struct vsock_family {
    static constexpr int family = af_vsock;
    static constexpr const module* owner = &vsock_module;
    static constexpr std::string_view create_name = "vsock_create";

    template <class K>
    using protosw = vsock_protosw_table<K>;

    // The registered transports' features (vsock_core_register: transport_h2g,
    // transport_g2h, transport_dgram, transport_local), global; this host has
    // virtio's guest-to-host transport only. And the global unbound table.
    struct state {
        unsigned transports = VSOCK_TRANSPORT_F_G2H;
        long unbound = 0;
        mutex vsock_register_mutex;  // the transports
        spinlock_t vsock_table_lock; // the bound and unbound tables

        constexpr std::uint64_t registered() const { return transports; }
        long in_use() const { return unbound; }

        // vsock_core_register / vsock_core_unregister of a transport's features.
        void vsock_core_register(unsigned features) { transports |= features; }
        void vsock_core_unregister(unsigned features) { transports &= ~features; }
    };

    // The transports are read under vsock_register_mutex, as
    // vsock_assign_transport reads transport_dgram since the kernel's fix of
    // the transport_* TOCTOU (6.16); they change under it in
    // vsock_core_register/vsock_core_unregister (below, for a kernel).
    template <class K>
    static std::uint64_t registered(context<K>& cx)
    {
        auto& s = cx.k.template family_state<vsock_family>();
        auto vsock_register_mutex = guard(cx, s.vsock_register_mutex);
        return s.registered();
    }

    enum step : int { bad_protocol = 1, bad_type, chosen, no_dgram_transport };

    template <class K>
    static kstring describe(int type, int protocol, int kern)
    {
        return trace::decode_type<typename K::abi>(type) + ", " + to_kstring(protocol) + ", kern=" +
               to_kstring(kern);
    }

    // vsock_create's checks: the protocol (0 or PF_VSOCK) before the type.
    // SOCK_DGRAM without a dgram transport fails only after the sock was
    // allocated (vsock_assign_transport): late_err. SO_PROTOCOL reads 0.
    template <class K>
    static constexpr create_choice choose(const create_context& cx, int type, int protocol)
    {
        using abi = typename K::abi;
        if (protocol && protocol != af_vsock)
            return create_choice::fail(-EPROTONOSUPPORT, bad_protocol);
        for (const vsock_protosw& e : protosw<K>::entries)
            if (e.type == type) {
                create_choice c{0, chosen, &e.ops, &e.prot, type, 0, af_vsock};
                if (type == abi::sock_dgram && !(cx.registered & VSOCK_TRANSPORT_F_DGRAM)) {
                    c.late_err = -ENODEV;
                    c.step = no_dgram_transport;
                }
                return c;
            }
        return create_choice::fail(-ESOCKTNOSUPPORT, bad_type);
    }

    template <class K>
    static void explain(context<K>& cx, const create_choice& c, int, int)
    {
        if (c.err)
            return;
        SOCKMODEL_TRACE_NOTE(cx, "vsock_create", [&] { return "sock->ops = &" + kstring(c.ops->name); });
    }

    template <class K>
    static int construct(context<K>& cx, net& n, socket& sock, const create_choice& c, int kern)
    {
        using abi = typename K::abi;
        sock.ops = c.ops;
        sock.state = SS_UNCONNECTED;
        struct sock* sk = __vsock_create(cx, n, &sock, *c.prot, kern);
        if (!sk)
            return -ENOMEM;
        if (sock.type == abi::sock_dgram) {
            // vsock_assign_transport: transport_dgram, or ENODEV.
            if (c.late_err) {
                SOCKMODEL_TRACE_NOTE(cx, "vsock_create", [] { return kstring("vsock_assign_transport: no dgram transport"); });
                sock.sk = nullptr;
                sock_put(cx, *sk);
                return c.late_err;
            }
            vsock_sk(*sk).has_transport = true;
        } else {
            sock.flags |= 1UL << sock_custom_sockopt;
        }
        vsock_insert_unbound(cx, *sk);
        return 0;
    }

private:
    static constexpr unsigned sock_custom_sockopt = 5;  // SOCK_CUSTOM_SOCKOPT, a bit of socket->flags
};

// vsock_core_register / vsock_core_unregister in kernel `k`: a transport
// module loading or unloading. Under lock::smp they hold
// vsock_register_mutex, against vsock_create reading the transports.
template <class K>
void vsock_core_register(K& k, unsigned features)
{
    auto& s = k.template family_state<vsock_family>();
    auto vsock_register_mutex = guard(k, s.vsock_register_mutex);
    s.vsock_core_register(features);
}
template <class K>
void vsock_core_unregister(K& k, unsigned features)
{
    auto& s = k.template family_state<vsock_family>();
    auto vsock_register_mutex = guard(k, s.vsock_register_mutex);
    s.vsock_core_unregister(features);
}

}  // namespace sockmodel
