// udpv6_prot (net/ipv6/udp.c) and udplitev6_prot (net/ipv6/udplite.c):
// struct udp6_sock.
#pragma once

#include <sockmodel/linux/ipv6.hpp>
#include <sockmodel/net/ipv4/udp.hpp>
#include <sockmodel/trace/trace.hpp>


namespace sockmodel {

struct udp6_sock : udp_sock {
    ipv6_pinfo inet6;
};

template <class K>
int udpv6_init_sock(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "udpv6_init_sock");
    return t.ret(0);
}

template <class K>
int udplitev6_sk_init(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "udplitev6_sk_init");
    static_cast<udp_sock&>(sk).pcflag = 1;  // UDPLITE_BIT
    return t.ret(0);
}

template <class K>
void udpv6_destroy_sock(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "udpv6_destroy_sock");
}

template <class K>
inline constexpr proto udpv6_prot{
    .name = "UDPv6",
    .obj = proto_object<udp6_sock>{},
    .init = &kernel_fn<K, &udpv6_init_sock<K>>::call,
    .close = &kernel_fn<K, &udp_lib_close<K>>::call,
    .destroy = &kernel_fn<K, &udpv6_destroy_sock<K>>::call,
    .ipv6_pinfo_of = &ipv6_pinfo_in<udp6_sock>,
};

template <class K>
inline constexpr proto udplitev6_prot{
    .name = "UDPLITEv6",
    .obj = proto_object<udp6_sock>{},
    .init = &kernel_fn<K, &udplitev6_sk_init<K>>::call,
    .close = &kernel_fn<K, &udp_lib_close<K>>::call,
    .destroy = &kernel_fn<K, &udpv6_destroy_sock<K>>::call,
    .ipv6_pinfo_of = &ipv6_pinfo_in<udp6_sock>,
};

}  // namespace sockmodel
