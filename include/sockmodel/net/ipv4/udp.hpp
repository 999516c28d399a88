// udp_prot and udplite_prot (net/ipv4/udp.c, udplite.c).
#pragma once

#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/inet_sock.hpp>
#include <sockmodel/trace/trace.hpp>

namespace sockmodel {

struct udp_sock : inet_sock {
    int pcflag = 0;  // UDPLITE_BIT for UDP-Lite
};

template <class K>
int udp_init_sock(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "udp_init_sock");
    return t.ret(0);
}

template <class K>
int udplite_sk_init(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "udplite_sk_init");
    static_cast<udp_sock&>(sk).pcflag = 1;
    return t.ret(0);
}

template <class K>
void udp_destroy_sock(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "udp_destroy_sock");
}

// udp_lib_close
template <class K>
void udp_lib_close(context<K>& cx, sock& sk, long)
{
    auto t = trace::enter(cx, "udp_lib_close");
    sk_common_release(cx, sk);
}

template <class K>
inline constexpr proto udp_prot{
    .name = "UDP",
    .obj = proto_object<udp_sock>{},
    .init = &kernel_fn<K, &udp_init_sock<K>>::call,
    .close = &kernel_fn<K, &udp_lib_close<K>>::call,
    .destroy = &kernel_fn<K, &udp_destroy_sock<K>>::call,
    .getsockopt_levels = {0 /* SOL_IP */, 17 /* SOL_UDP */, 136 /* SOL_UDPLITE */},
    .getsockopt_other_level = -EOPNOTSUPP,
};

template <class K>
inline constexpr proto udplite_prot{
    .name = "UDP-Lite",
    .obj = proto_object<udp_sock>{},
    .init = &kernel_fn<K, &udplite_sk_init<K>>::call,
    .close = &kernel_fn<K, &udp_lib_close<K>>::call,
    .destroy = &kernel_fn<K, &udp_destroy_sock<K>>::call,
    .getsockopt_levels = {0 /* SOL_IP */, 17 /* SOL_UDP */, 136 /* SOL_UDPLITE */},
    .getsockopt_other_level = -EOPNOTSUPP,
};

}  // namespace sockmodel
