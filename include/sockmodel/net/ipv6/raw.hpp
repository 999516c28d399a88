// rawv6_prot (net/ipv6/raw.c): hashed at create time like raw_prot (the
// same raw_hash_sk/raw_unhash_sk), struct raw6_sock.
#pragma once

#include <sockmodel/linux/ipv6.hpp>
#include <sockmodel/net/ipv4/raw.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/in.hpp>


namespace sockmodel {

inline constexpr int ipproto_mh = 135;

struct raw6_sock : raw_sock {
    bool checksum = false;  // the kernel computes a checksum at `offset`
    int offset = 0;
    ipv6_pinfo inet6;
};

// rawv6_init_sk: ICMPv6 and the mobility header get a kernel checksum.
template <class K>
int rawv6_init_sk(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "rawv6_init_sk");
    auto& rp = static_cast<raw6_sock&>(sk);
    if (inet_sk(sk).inet_num == ipproto_icmpv6) {
        rp.checksum = true;
        rp.offset = 2;
    } else if (inet_sk(sk).inet_num == ipproto_mh) {
        rp.checksum = true;
        rp.offset = 4;
    }
    return t.ret(0);
}

template <class K>
void raw6_destroy(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "raw6_destroy");
}

// rawv6_close: router-alert and multicast-routing state (none here), then
// sk_common_release.
template <class K>
void rawv6_close(context<K>& cx, sock& sk, long)
{
    auto t = trace::enter(cx, "rawv6_close");
    sk_common_release(cx, sk);
}

template <class K>
inline constexpr proto rawv6_prot{
    .name = "RAWv6",
    .obj = proto_object<raw6_sock>{},
    .init = &kernel_fn<K, &rawv6_init_sk<K>>::call,
    .close = &kernel_fn<K, &rawv6_close<K>>::call,
    .hash = &kernel_fn<K, &raw_hash_sk<K>>::call,
    .unhash = &kernel_fn<K, &raw_unhash_sk<K>>::call,
    .destroy = &kernel_fn<K, &raw6_destroy<K>>::call,
    .ipv6_pinfo_of = &ipv6_pinfo_in<raw6_sock>,
};

}  // namespace sockmodel
