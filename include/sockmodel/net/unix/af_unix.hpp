// AF_UNIX (net/unix/af_unix.c): unix_create, its ops and protos, and release.
#pragma once

#include <sockmodel/linux/socket.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>

#include <array>
#include <span>
#include <string>

namespace sockmodel {

// af_unix.c's THIS_MODULE: CONFIG_UNIX may be a module, so its references count.
inline constexpr module unix_module{"unix"};

struct unix_sock : sock {
    void* addr = nullptr;  // unix_address: unbound
    sock* peer = nullptr;
    void* listener = nullptr;
};

// unix_close: the BPF sockmap hook point; nothing to do for a plain socket.
template <class K>
void unix_close(K& k, sock&, long)
{
    auto t = trace::enter(k, "unix_close");
}

// unix_sock_destruct: the counters unix_create1 raised.
template <class K>
void unix_sock_destruct(K& k, sock& sk)
{
    auto t = trace::enter(k, "unix_sock_destruct");
    --k.unix_nr_socks;
    sk.sk_net->sock_prot_inuse_add(sk.sk_prot, -1);
}

template <class K>
void unix_release_sock(K& k, sock& sk)
{
    auto t = trace::enter(k, "unix_release_sock");
    sk.sk_state = tcp_close_state;
    sock_orphan(sk);
    sock_put(k, sk);
}

template <class K>
int unix_release(K& k, socket& sock)
{
    auto t = trace::enter(k, "unix_release");
    struct sock* sk = sock.sk;
    if (!sk)
        return t.ret(0);
    sk->sk_prot->close(&k, *sk, 0);
    unix_release_sock(k, *sk);
    sock.sk = nullptr;
    return t.ret(0);
}

template <class K>
inline constexpr proto unix_dgram_proto{
    "UNIX", &unix_module, proto_object<unix_sock>::size, proto_object<unix_sock>::align,
    &proto_object<unix_sock>::construct, &proto_object<unix_sock>::destroy,
    nullptr, nullptr, &kernel_fn<K, &unix_close<K>>::call, nullptr, nullptr, nullptr};

template <class K>
inline constexpr proto unix_stream_proto{
    "UNIX-STREAM", &unix_module, proto_object<unix_sock>::size, proto_object<unix_sock>::align,
    &proto_object<unix_sock>::construct, &proto_object<unix_sock>::destroy,
    nullptr, nullptr, &kernel_fn<K, &unix_close<K>>::call, nullptr, nullptr, nullptr};

// setsockopt/getsockopt are NULL in the unix tables: __sys_setsockopt answers
// EOPNOTSUPP for levels other than SOL_SOCKET.
inline constexpr op_slot unset_sockopt{"(NULL: __sys_[gs]etsockopt answers EOPNOTSUPP)", -EOPNOTSUPP};

template <class K>
inline constexpr proto_ops unix_stream_ops{
    af_unix, &unix_module, "unix_stream_ops", &kernel_fn<K, &unix_release<K>>::call,
    {"unix_bind"}, {"unix_stream_connect"}, {"unix_socketpair"}, {"unix_accept"},
    {"unix_getname"}, {"unix_poll"}, {"unix_ioctl"}, {"unix_listen"}, {"unix_shutdown"},
    unset_sockopt, unset_sockopt, {"unix_stream_sendmsg"}, {"unix_stream_recvmsg"}, sock_no_mmap};

template <class K>
inline constexpr proto_ops unix_dgram_ops{
    af_unix, &unix_module, "unix_dgram_ops", &kernel_fn<K, &unix_release<K>>::call,
    {"unix_bind"}, {"unix_dgram_connect"}, {"unix_socketpair"}, sock_no_accept,
    {"unix_getname"}, {"unix_dgram_poll"}, {"unix_ioctl"}, sock_no_listen, {"unix_shutdown"},
    unset_sockopt, unset_sockopt, {"unix_dgram_sendmsg"}, {"unix_dgram_recvmsg"}, sock_no_mmap};

template <class K>
inline constexpr proto_ops unix_seqpacket_ops{
    af_unix, &unix_module, "unix_seqpacket_ops", &kernel_fn<K, &unix_release<K>>::call,
    {"unix_bind"}, {"unix_stream_connect"}, {"unix_socketpair"}, {"unix_accept"},
    {"unix_getname"}, {"unix_dgram_poll"}, {"unix_ioctl"}, {"unix_listen"}, {"unix_shutdown"},
    unset_sockopt, unset_sockopt, {"unix_seqpacket_sendmsg"}, {"unix_seqpacket_recvmsg"}, sock_no_mmap};

struct unix_family {
    static constexpr int family = af_unix;
    static constexpr const module* owner = &unix_module;

    template <class K>
    static constexpr std::array<const proto*, 2> proto_list{&unix_dgram_proto<K>, &unix_stream_proto<K>};

    template <class K>
    static constexpr std::span<const proto* const> protos() { return proto_list<K>; }

    // unix_create's decisions: protocol first, then the type switch.
    template <class K>
    static constexpr create_choice choose(const create_context&, int type, int protocol)
    {
        using abi = typename K::abi;
        static_assert(checked_ops<&unix_stream_ops<K>>::value && checked_ops<&unix_dgram_ops<K>>::value &&
                      checked_ops<&unix_seqpacket_ops<K>>::value);
        if (protocol && protocol != af_unix)
            return create_choice::fail(-EPROTONOSUPPORT, "unix_create");
        if (type == abi::sock_stream)
            return {0, "unix_create", &unix_stream_ops<K>, &unix_stream_proto<K>, type, 0, af_unix};
        if (type == abi::sock_raw || type == abi::sock_dgram)
            return {0, "unix_create", &unix_dgram_ops<K>, &unix_dgram_proto<K>, abi::sock_dgram, 0, af_unix};
        if (type == abi::sock_seqpacket)
            return {0, "unix_create", &unix_seqpacket_ops<K>, &unix_dgram_proto<K>, type, 0, af_unix};
        return create_choice::fail(-ESOCKTNOSUPPORT, "unix_create");
    }

    template <class K>
    static int create(K& k, net& n, socket& sock, int protocol, int kern);
};

// unix_create1: the socket count against file-max, then the sock.
template <class K>
sock* unix_create1(K& k, net& n, socket& sock, int kern, const proto& prot, int* err)
{
    auto t = trace::enter(k, "unix_create1");
    ++k.unix_nr_socks;
    if (k.unix_nr_socks > 2 * k.max_files) {
        --k.unix_nr_socks;
        *err = -ENFILE;
        return t.ret_ptr(static_cast<struct sock*>(nullptr));
    }
    struct sock* sk = sk_alloc(k, n, af_unix, prot, kern);
    if (!sk) {
        --k.unix_nr_socks;
        *err = -ENOMEM;
        return t.ret_ptr(static_cast<struct sock*>(nullptr));
    }
    sock_init_data(k, &sock, *sk);
    sk->sk_destruct = &kernel_fn<K, &unix_sock_destruct<K>>::call;
    n.sock_prot_inuse_add(sk->sk_prot, 1);
    return t.ret_ptr(sk);
}

template <class K>
int unix_family::create(K& k, net& n, socket& sock, int protocol, int kern)
{
    using abi = typename K::abi;
    auto t = trace::enter(k, "unix_create", [&] {
        return trace::decode_type<abi>(sock.type) + ", " + std::to_string(protocol);
    });
    const create_choice c = choose<K>({n.sysctl, k.current().cred, kern}, sock.type, protocol);
    if (c.err)
        return t.ret(c.err);
    sock.state = SS_UNCONNECTED;
    if (c.type != sock.type)
        trace::note(k, "unix_create", [] { return std::string("SOCK_RAW becomes SOCK_DGRAM"); });
    sock.type = static_cast<short>(c.type);
    sock.ops = c.ops;
    trace::note(k, "unix_create", [&] { return "sock->ops = &" + std::string(c.ops->name); });
    int err = 0;
    if (!unix_create1(k, n, sock, kern, *c.prot, &err))
        return t.ret(err);
    return t.ret(0);
}

}  // namespace sockmodel
