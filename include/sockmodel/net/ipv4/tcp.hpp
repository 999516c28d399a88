// tcp_prot (net/ipv4/tcp_ipv4.c, tcp.c): init, and close for a socket that
// never left TCP_CLOSE, which inet_csk_destroy_sock frees at once.
#pragma once

#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/inet_sock.hpp>
#include <sockmodel/trace/trace.hpp>

namespace sockmodel {

struct tcp_sock : inet_connection_sock {
    unsigned snd_cwnd = 0;
    unsigned mss_cache = 0;
    unsigned snd_ssthresh = 0;
};

template <class K>
int tcp_v4_init_sock(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "tcp_v4_init_sock");
    auto& tp = static_cast<tcp_sock&>(sk);
    tp.snd_cwnd = 10;             // TCP_INIT_CWND
    tp.mss_cache = 536;           // TCP_MSS_DEFAULT
    tp.snd_ssthresh = 0x7fffffff; // TCP_INFINITE_SSTHRESH
    tp.icsk_af_ops = &tp;         // ipv4_specific
    return t.ret(0);
}

template <class K>
void tcp_v4_destroy_sock(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "tcp_v4_destroy_sock");
}

// inet_csk_destroy_sock: the protocol's destroy, then the reference it owned.
template <class K>
void inet_csk_destroy_sock(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "inet_csk_destroy_sock");
    sk.sk_prot->destroy(&cx, sk);
    sock_put(cx, sk);
}

// tcp_close → __tcp_close: an unconnected socket goes straight to
// adjudge_to_death, is orphaned and destroyed; tcp_close drops the last ref.
template <class K>
void tcp_close(context<K>& cx, sock& sk, long timeout)
{
    auto t = trace::enter(cx, "tcp_close");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return "timeout=" + to_kstring(timeout); });
    const bool never_connected = sk.sk_state == tcp_close_state;
    sock_hold(cx, sk);
    sock_orphan(sk);
    if (never_connected) {
        SOCKMODEL_TRACE_NOTE(cx, "tcp_close", [] { return kstring("TCP_CLOSE: adjudge_to_death"); });
        inet_csk_destroy_sock(cx, sk);
    }
    sock_put(cx, sk);
}

template <class K>
inline constexpr proto tcp_prot{
    .name = "TCP",
    .obj = proto_object<tcp_sock>{},
    .init = &kernel_fn<K, &tcp_v4_init_sock<K>>::call,
    .close = &kernel_fn<K, &tcp_close<K>>::call,
    .destroy = &kernel_fn<K, &tcp_v4_destroy_sock<K>>::call,
    .getsockopt_levels = {0 /* SOL_IP */, 6 /* SOL_TCP */, proto::no_level},
    .getsockopt_other_level = -EOPNOTSUPP,
    .tcp_buffers = true,
};

}  // namespace sockmodel
