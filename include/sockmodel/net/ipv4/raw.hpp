// raw_prot (net/ipv4/raw.c): hashed at create time because inet_create sets
// inet_num to the protocol, which also makes it count in /proc/net/sockstat.
#pragma once

#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/inet_sock.hpp>
#include <sockmodel/trace/trace.hpp>

namespace sockmodel {

struct raw_sock : inet_sock {
    unsigned icmp_filter = 0;
    bool hashed = false;
};

// raw_hash_sk: the hash table holds a reference; freeing waits for RCU.
template <class K>
int raw_hash_sk(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "raw_hash_sk");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return "inet_num=" + to_kstring(inet_sk(sk).inet_num); });
    static_cast<raw_sock&>(sk).hashed = true;
    sock_hold(cx, sk);
    sk.set_flag(sock_flag::rcu_free);
    sock_prot_inuse_add(cx, *sk.sk_net, sk, 1);
    return t.ret(0);
}

template <class K>
void raw_unhash_sk(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "raw_unhash_sk");
    auto& rs = static_cast<raw_sock&>(sk);
    if (rs.hashed) {
        rs.hashed = false;
        __sock_put(cx, sk);  // never the last reference here
        sock_prot_inuse_add(cx, *sk.sk_net, sk, -1);
    }
}

template <class K>
int raw_sk_init(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "raw_sk_init");
    if (inet_sk(sk).inet_num == 1)  // IPPROTO_ICMP: an empty ICMP filter
        static_cast<raw_sock&>(sk).icmp_filter = 0;
    return t.ret(0);
}

template <class K>
void raw_destroy(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "raw_destroy");
}

template <class K>
void raw_close(context<K>& cx, sock& sk, long)
{
    auto t = trace::enter(cx, "raw_close");
    sk_common_release(cx, sk);
}

template <class K>
inline constexpr proto raw_prot{
    .name = "RAW",
    .obj = proto_object<raw_sock>{},
    .init = &kernel_fn<K, &raw_sk_init<K>>::call,
    .close = &kernel_fn<K, &raw_close<K>>::call,
    .hash = &kernel_fn<K, &raw_hash_sk<K>>::call,
    .unhash = &kernel_fn<K, &raw_unhash_sk<K>>::call,
    .destroy = &kernel_fn<K, &raw_destroy<K>>::call,
    .getsockopt_levels = {0 /* SOL_IP */, 255 /* SOL_RAW */, proto::no_level},
    .getsockopt_other_level = -EOPNOTSUPP,
};

}  // namespace sockmodel
