// tcpv6_prot (net/ipv6/tcp_ipv6.c): TCP over IPv6, struct tcp6_sock.
#pragma once

#include <sockmodel/linux/ipv6.hpp>
#include <sockmodel/net/ipv4/tcp.hpp>
#include <sockmodel/trace/trace.hpp>


namespace sockmodel {

struct tcp6_sock : tcp_sock {
    ipv6_pinfo inet6;
};

// tcp_v6_init_sock: tcp_init_sock's defaults with the IPv6 af_ops.
template <class K>
int tcp_v6_init_sock(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "tcp_v6_init_sock");
    auto& tp = static_cast<tcp_sock&>(sk);
    tp.snd_cwnd = 10;              // TCP_INIT_CWND
    tp.mss_cache = 536;            // TCP_MSS_DEFAULT
    tp.snd_ssthresh = 0x7fffffff;  // TCP_INFINITE_SSTHRESH
    tp.icsk_af_ops = &tp;          // ipv6_specific
    return t.ret(0);
}

// tcpv6_prot shares tcp_close and, since the IPv6 cleanup moved into
// inet6_sock_destruct, tcp_v4_destroy_sock.
template <class K>
inline constexpr proto tcpv6_prot{
    .name = "TCPv6",
    .obj = proto_object<tcp6_sock>{},
    .init = &kernel_fn<K, &tcp_v6_init_sock<K>>::call,
    .close = &kernel_fn<K, &tcp_close<K>>::call,
    .destroy = &kernel_fn<K, &tcp_v4_destroy_sock<K>>::call,
    .ipv6_pinfo_of = &ipv6_pinfo_in<tcp6_sock>,
    .tcp_buffers = true,
};

}  // namespace sockmodel
