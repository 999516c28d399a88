// AF_UNIX (net/unix/af_unix.c): unix_create, its ops and protos, and release.
#pragma once

#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>

#include <array>

namespace sockmodel {

// Fault points (fault/fault.hpp) of this file's functions.
namespace fault_point {
inline constexpr fault_point_info unix_nr_socks{.name = "unix_nr_socks", .fn = "unix_create1", .what = "unix_nr_socks > 2 * get_max_files()", .err = -ENFILE};
}  // namespace fault_point

// af_unix.c's THIS_MODULE: CONFIG_UNIX may be a module, so its references count.
inline constexpr module unix_module{"unix"};

struct unix_sock : sock {
    void* addr = nullptr;  // unix_address: unbound
    sock* peer = nullptr;
    void* listener = nullptr;
    const cred* peer_cred = nullptr;  // sk_peer_cred: set with peer by unix_socketpair
};

inline const cred* unix_peer_cred(const sock& sk) { return static_cast<const unix_sock&>(sk).peer_cred; }

// unix_close: the BPF sockmap hook point; nothing to do for a plain socket.
template <class K>
void unix_close(context<K>& cx, sock&, long)
{
    auto t = trace::enter(cx, "unix_close");
}

struct unix_family;

// unix_sock_destruct: the counters unix_create1 raised.
template <class K>
void unix_sock_destruct(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "unix_sock_destruct");
    atomic_dec(cx, cx.k.template family_state<unix_family>().unix_nr_socks);
    sock_prot_inuse_add(cx, *sk.sk_net, sk, -1);
}

inline unix_sock& unix_sk(sock& sk) { return static_cast<unix_sock&>(sk); }

// unix_release_sock: the sock closes; a peer (unix_socketpair, connect) loses
// the reference this side held on it, and the peer pointer is cleared. The
// peer keeps its own pointer back and drops that reference when it goes too.
// Not modelled: the peer's sk_shutdown/sk_err, the queues, the GC.
template <class K>
void unix_release_sock(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "unix_release_sock");
    sk.sk_state = tcp_close_state;
    sock_orphan(sk);
    if (sock* skpair = unix_sk(sk).peer) {
        SOCKMODEL_TRACE_NOTE(cx, "unix_release_sock", [] { return kstring("sock_put(unix_peer(sk))"); });
        unix_sk(sk).peer = nullptr;
        // The peer credentials go with the peer (the kernel's put_cred waits
        // for __sk_destruct; nothing reads them once the socket is released).
        delete unix_sk(sk).peer_cred;
        unix_sk(sk).peer_cred = nullptr;
        sock_put(cx, *skpair);
    }
    sock_put(cx, sk);
}

// unix_socketpair: the two socks join back to back, each holding a reference
// on the other, both connected (DGRAM pairs too, since 5.x). 6.16 and later
// first run prepare_peercred for each side (pidfs_register_pid, which can
// fail); the model has no pidfs, so this cannot fail here. Each side's peer
// credentials are current's (init_peercred: SO_PEERCRED, SO_PEERGROUPS).
template <class K>
int unix_socketpair(context<K>& cx, socket& socka, socket& sockb)
{
    auto t = trace::enter(cx, "unix_socketpair");
    sock& ska = *socka.sk;
    sock& skb = *sockb.sk;
    sock_hold(cx, ska);
    sock_hold(cx, skb);
    unix_sk(ska).peer = &skb;
    unix_sk(skb).peer = &ska;
    unix_sk(ska).peer_cred = new cred(cx.current.cred);
    unix_sk(skb).peer_cred = new cred(cx.current.cred);
    ska.sk_state = tcp_established_state;
    skb.sk_state = tcp_established_state;
    socka.state = SS_CONNECTED;
    sockb.state = SS_CONNECTED;
    SOCKMODEL_TRACE_NOTE(cx, "unix_socketpair", [] { return kstring("unix_peer set both ways; TCP_ESTABLISHED, SS_CONNECTED"); });
    return t.ret(0);
}

template <class K>
int unix_release(context<K>& cx, socket& sock)
{
    auto t = trace::enter(cx, "unix_release");
    struct sock* sk = sock.sk;
    if (!sk)
        return t.ret(0);
    sk->sk_prot->close(&cx, *sk, 0);
    unix_release_sock(cx, *sk);
    sock.sk = nullptr;
    return t.ret(0);
}

template <class K>
inline constexpr proto unix_dgram_proto{
    .name = "UNIX",
    .owner = &unix_module,
    .obj = proto_object<unix_sock>{},
    .close = &kernel_fn<K, &unix_close<K>>::call,
    .peer_cred = &unix_peer_cred,
};

template <class K>
inline constexpr proto unix_stream_proto{
    .name = "UNIX-STREAM",
    .owner = &unix_module,
    .obj = proto_object<unix_sock>{},
    .close = &kernel_fn<K, &unix_close<K>>::call,
    .peer_cred = &unix_peer_cred,
};

// setsockopt/getsockopt are NULL in the unix tables (unset_sockopt).

template <class K>
inline constexpr proto_ops unix_stream_ops{
    .family = af_unix,
    .owner = &unix_module,
    .name = "unix_stream_ops",
    .release = &kernel_fn<K, &unix_release<K>>::call,
    .bind = {"unix_bind"},
    .connect = {"unix_stream_connect"},
    .socketpair = {"unix_socketpair", &kernel_fn<K, &unix_socketpair<K>>::call},
    .accept = {"unix_accept"},
    .getname = {"unix_getname"},
    .poll = {"unix_poll"},
    .ioctl = {"unix_ioctl"},
    .listen = {"unix_listen"},
    .shutdown = {"unix_shutdown"},
    .setsockopt = unset_sockopt,
    .getsockopt = unset_sockopt,
    .sendmsg = {"unix_stream_sendmsg"},
    .recvmsg = {"unix_stream_recvmsg"},
    .mmap = sock_no_mmap,
    .set_peek_off = true,
};

template <class K>
inline constexpr proto_ops unix_dgram_ops{
    .family = af_unix,
    .owner = &unix_module,
    .name = "unix_dgram_ops",
    .release = &kernel_fn<K, &unix_release<K>>::call,
    .bind = {"unix_bind"},
    .connect = {"unix_dgram_connect"},
    .socketpair = {"unix_socketpair", &kernel_fn<K, &unix_socketpair<K>>::call},
    .accept = sock_no_accept,
    .getname = {"unix_getname"},
    .poll = {"unix_dgram_poll"},
    .ioctl = {"unix_ioctl"},
    .listen = sock_no_listen,
    .shutdown = {"unix_shutdown"},
    .setsockopt = unset_sockopt,
    .getsockopt = unset_sockopt,
    .sendmsg = {"unix_dgram_sendmsg"},
    .recvmsg = {"unix_dgram_recvmsg"},
    .mmap = sock_no_mmap,
    .set_peek_off = true,
};

template <class K>
inline constexpr proto_ops unix_seqpacket_ops{
    .family = af_unix,
    .owner = &unix_module,
    .name = "unix_seqpacket_ops",
    .release = &kernel_fn<K, &unix_release<K>>::call,
    .bind = {"unix_bind"},
    .connect = {"unix_stream_connect"},
    .socketpair = {"unix_socketpair", &kernel_fn<K, &unix_socketpair<K>>::call},
    .accept = {"unix_accept"},
    .getname = {"unix_getname"},
    .poll = {"unix_dgram_poll"},
    .ioctl = {"unix_ioctl"},
    .listen = {"unix_listen"},
    .shutdown = {"unix_shutdown"},
    .setsockopt = unset_sockopt,
    .getsockopt = unset_sockopt,
    .sendmsg = {"unix_seqpacket_sendmsg"},
    .recvmsg = {"unix_seqpacket_recvmsg"},
    .mmap = sock_no_mmap,
    .set_peek_off = true,
};

// unix_create's type switch as a table: which ops and proto each type gets.
// SOCK_RAW is not in it: unix_create turns it into SOCK_DGRAM first.
struct unix_protosw {
    int type;
    const proto& prot;
    const proto_ops& ops;
};

template <class K>
struct unix_protosw_table {
    using abi = typename K::abi;
    static constexpr std::array<unix_protosw, 3> entries{{
        {.type = abi::sock_stream, .prot = unix_stream_proto<K>, .ops = unix_stream_ops<K>},
        {.type = abi::sock_dgram, .prot = unix_dgram_proto<K>, .ops = unix_dgram_ops<K>},
        {.type = abi::sock_seqpacket, .prot = unix_dgram_proto<K>, .ops = unix_seqpacket_ops<K>},
    }};
};

// unix_create1: the socket count against file-max, then the sock.
template <class K>
sock* unix_create1(context<K>& cx, net& n, socket& sock, int kern, const proto& prot, int* err)
{
    auto t = trace::enter(cx, "unix_create1");
    atomic_long_t& nr_socks = cx.k.template family_state<unix_family>().unix_nr_socks;
    const long now = atomic_add_return(cx, nr_socks, 1L);
    if (should_fail<&fault_point::unix_nr_socks>(cx) || now > 2 * get_max_files(cx)) {
        SOCKMODEL_TRACE_NOTE(cx, "unix_create1", [] { return kstring("goto err: atomic_long_dec(&unix_nr_socks)"); });
        atomic_dec(cx, nr_socks);
        *err = -ENFILE;
        return t.ret_ptr(static_cast<struct sock*>(nullptr));
    }
    struct sock* sk = sk_alloc(cx, n, af_unix, prot, kern);
    if (!sk) {
        SOCKMODEL_TRACE_NOTE(cx, "unix_create1", [] { return kstring("goto err: atomic_long_dec(&unix_nr_socks)"); });
        atomic_dec(cx, nr_socks);
        *err = -ENOMEM;
        return t.ret_ptr(static_cast<struct sock*>(nullptr));
    }
    sock_init_data(cx, &sock, *sk);
    sk->sk_destruct = &kernel_fn<K, &unix_sock_destruct<K>>::call;
    sock_prot_inuse_add(cx, n, *sk, 1);
    return t.ret_ptr(sk);
}

struct unix_family {
    // The family's own fault points (the path's are every kernel's).
    using fault_points = fault::point_list<&fault_point::unix_nr_socks>;
    static constexpr int family = af_unix;
    static constexpr const module* owner = &unix_module;
    static constexpr std::string_view create_name = "unix_create";

    template <class K>
    using protosw = unix_protosw_table<K>;

    // af_unix.c's own state: unix_nr_socks, the count unix_create1 checks.
    struct state {
        atomic_long_t unix_nr_socks;
        long in_use() const { return atomic_read(lock::any_thread{}, unix_nr_socks); }
    };

    enum step : int { bad_protocol = 1, bad_type, chosen };

    template <class K>
    static kstring describe(int type, int protocol, int)
    {
        return trace::decode_type<typename K::abi>(type) + ", " + to_kstring(protocol);
    }

    // unix_create's decisions: protocol first, then the type switch.
    template <class K>
    static constexpr create_choice choose(const create_context&, int type, int protocol)
    {
        using abi = typename K::abi;
        if (protocol && protocol != af_unix)
            return create_choice::fail(-EPROTONOSUPPORT, bad_protocol);
        const int as = type == abi::sock_raw ? abi::sock_dgram : type;
        for (const unix_protosw& e : protosw<K>::entries)
            if (e.type == as)
                return {0, chosen, &e.ops, &e.prot, as, 0, af_unix};
        return create_choice::fail(-ESOCKTNOSUPPORT, bad_type);
    }

    template <class K>
    static void explain(context<K>& cx, const create_choice& c, int type, int)
    {
        if (c.err)
            return;
        if (c.type != type)
            SOCKMODEL_TRACE_NOTE(cx, "unix_create", [] { return kstring("SOCK_RAW becomes SOCK_DGRAM"); });
        SOCKMODEL_TRACE_NOTE(cx, "unix_create", [&] { return "sock->ops = &" + kstring(c.ops->name); });
    }

    template <class K>
    static int construct(context<K>& cx, net& n, socket& sock, const create_choice& c, int kern)
    {
        sock.state = SS_UNCONNECTED;
        sock.type = static_cast<short>(c.type);
        sock.ops = c.ops;
        int err = 0;
        if (!unix_create1(cx, n, sock, kern, *c.prot, &err))
            return err;
        return 0;
    }
};

}  // namespace sockmodel
