// ping_prot (net/ipv4/ping.c): ICMP echo over SOCK_DGRAM, allowed only to the
// groups in net.ipv4.ping_group_range. No capability overrides it.
#pragma once

#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/inet_sock.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/trace/trace.hpp>

#include <tuple>

namespace sockmodel {

// ping_init_sock's test: egid, then each supplementary group, against the range.
constexpr int ping_group_check(const net_sysctl& sysctl, const cred& c)
{
    const kgid_t low = sysctl.ping_group_range.low;
    const kgid_t high = sysctl.ping_group_range.high;
    if (low <= c.egid && c.egid <= high)
        return 0;
    for (kgid_t g : c.group_info)
        if (low <= g && g <= high)
            return 0;
    return -EACCES;
}

template <class K>
int ping_init_sock(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "ping_init_sock");
    if (sk.sk_family == 10)  // AF_INET6
        sk.sk_ipv6only = true;
    // inet_get_ping_group_range_net: both ends under the seqlock.
    net_sysctl now;
    std::tie(now.ping_group_range.low, now.ping_group_range.high) = sk.sk_net->ping_group_range(cx);
    const int err = ping_group_check(now, cx.current.cred);
    SOCKMODEL_TRACE_NOTE(cx, "ping_init_sock", [&] {
        const auto& r = sk.sk_net->sysctl.ping_group_range;
        const cred& c = cx.current.cred;
        const kstring range = "ping_group_range " + to_kstring(r.low) + " " + to_kstring(r.high);
        if (!err && r.low <= c.egid && c.egid <= r.high)
            return "egid " + to_kstring(c.egid) + " inside " + range;
        if (!err)
            for (kgid_t g : c.group_info)
                if (r.low <= g && g <= r.high)
                    return "supplementary group " + to_kstring(g) + " inside " + range;
        return "neither egid " + to_kstring(c.egid) + " nor a supplementary group inside " + range;
    });
    return t.ret(err);
}

template <class K>
void ping_close(context<K>& cx, sock& sk, long)
{
    auto t = trace::enter(cx, "ping_close");
    sk_common_release(cx, sk);
}

template <class K>
void ping_unhash(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "ping_unhash");
}

template <class K>
inline constexpr proto ping_prot{
    .name = "PING",
    .obj = proto_object<inet_sock>{},
    .init = &kernel_fn<K, &ping_init_sock<K>>::call,
    .init_check = &ping_group_check,
    .close = &kernel_fn<K, &ping_close<K>>::call,
    .unhash = &kernel_fn<K, &ping_unhash<K>>::call,
    .getsockopt_levels = {0 /* SOL_IP */, proto::no_level, proto::no_level},
    .getsockopt_other_level = -EOPNOTSUPP,
};

}  // namespace sockmodel
