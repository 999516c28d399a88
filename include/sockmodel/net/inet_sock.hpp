// struct inet_sock and inet_connection_sock (include/net/inet_sock.h,
// inet_connection_sock.h): the fields inet_create sets.
#pragma once

#include <sockmodel/net/sock.hpp>

#include <bit>

namespace sockmodel {

inline constexpr int ip_pmtudisc_want = 1;

struct ipv6_pinfo;

struct inet_sock : sock {
    ipv6_pinfo* pinet6 = nullptr;  // AF_INET6 socks: their ipv6_pinfo (inet6_create sets it)
    unsigned short inet_num = 0;
    unsigned short inet_sport = 0;  // network order
    int uc_ttl = 0;
    int mc_ttl = 0;
    int pmtudisc = 0;
    bool hdrincl = false;
    bool mc_loop = false;
    bool mc_all = false;
    bool is_icsk = false;
};

struct inet_connection_sock : inet_sock {
    const void* icsk_af_ops = nullptr;
};

inline inet_sock& inet_sk(sock& sk) { return static_cast<inet_sock&>(sk); }

constexpr unsigned short cpu_to_be16(unsigned short v)
{
    if constexpr (std::endian::native == std::endian::little)
        return static_cast<unsigned short>((v << 8) | (v >> 8));
    else
        return v;
}

}  // namespace sockmodel
