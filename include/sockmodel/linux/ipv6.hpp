// struct ipv6_pinfo (include/linux/ipv6.h): the IPv6 part of an AF_INET6
// sock, kept at the end of each proto's object (tcp6_sock, udp6_sock,
// raw6_sock, mptcp6_sock) and found through prot->ipv6_pinfo_offset.
#pragma once

#include <sockmodel/net/sock.hpp>

namespace sockmodel {

inline constexpr int ipv6_default_mcasthops = 1;  // IPV6_DEFAULT_MCASTHOPS
inline constexpr int ipv6_pmtudisc_want = 1;      // IPV6_PMTUDISC_WANT

struct ipv6_pinfo {
    int hop_limit = 0;
    int mcast_hops = 0;
    int pmtudisc = 0;
    bool mc_loop = false;
    bool mc_all = false;
};

// What prot->ipv6_pinfo_offset locates: the `inet6` member of the proto's
// object type T (struct tcp6_sock's inet6, ...), for proto::ipv6_pinfo_of.
template <class T>
ipv6_pinfo* ipv6_pinfo_in(sock& sk)
{
    return &static_cast<T&>(sk).inet6;
}

}  // namespace sockmodel
