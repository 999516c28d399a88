// pingv6_prot (net/ipv6/ping.c): ICMPv6 echo over SOCK_DGRAM, gated by the
// same net.ipv4.ping_group_range as IPv4 (ping_init_sock, which also forces
// sk_ipv6only for AF_INET6). Its objects are raw6_socks.
#pragma once

#include <sockmodel/net/ipv4/ping.hpp>
#include <sockmodel/net/ipv6/raw.hpp>


namespace sockmodel {

template <class K>
inline constexpr proto pingv6_prot{
    .name = "PINGv6",
    .obj = proto_object<raw6_sock>{},
    .init = &kernel_fn<K, &ping_init_sock<K>>::call,
    .init_check = &ping_group_check,
    .close = &kernel_fn<K, &ping_close<K>>::call,
    .unhash = &kernel_fn<K, &ping_unhash<K>>::call,
    .ipv6_pinfo_of = &ipv6_pinfo_in<raw6_sock>,
};

}  // namespace sockmodel
