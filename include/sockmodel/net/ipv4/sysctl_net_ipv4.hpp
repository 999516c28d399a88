// net/ipv4/sysctl_net_ipv4.c: /proc/sys/net/ipv4/ping_group_range of
// current's network namespace, read and written as ipv4_ping_group_range
// does: the kernel keeps kgids and shows them through current's user
// namespace (an unmapped kgid as the overflow gid), a write maps its two
// gids back (-EINVAL for one without a mapping or outside 0..2^32-2) and
// stores an inverted range as the empty one "1 0". Writing needs the file's
// write permission (net_ctl_permissions: CAP_NET_ADMIN over the netns's user
// namespace, or being its root; -EACCES otherwise).
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/linux/user_namespace.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/uapi/errno.hpp>

namespace sockmodel {

template <class K>
int ipv4_ping_group_range_read(context<K>& cx, unsigned* range)
{
    const user_namespace& user_ns = *cx.current.cred.user_ns;
    const auto [low, high] = cx.current.net_ns->ping_group_range(cx);
    if (!range)
        return -EFAULT;
    range[0] = from_kgid_munged(user_ns, low);
    range[1] = from_kgid_munged(user_ns, high);
    return 0;
}

// net_ctl_permissions for a 0644 file: may current write it?
inline bool net_ctl_may_write(const cred& c, const net& n)
{
    if (ns_capable(*n.user_ns, c, capability::net_admin))
        return true;
    const kuid_t root_uid = make_kuid(*n.user_ns, 0);
    return root_uid != invalid_id && root_uid == c.euid;
}

template <class K>
int ipv4_ping_group_range_write(context<K>& cx, long low_in, long high_in)
{
    net& n = *cx.current.net_ns;
    if (!net_ctl_may_write(cx.current.cred, n))
        return -EACCES;
    constexpr long gid_t_max = 0xfffffffeL;  // ip_ping_group_range_max: GID_T_MAX - 1
    if (low_in < 0 || high_in < 0 || low_in > gid_t_max || high_in > gid_t_max)
        return -EINVAL;
    const user_namespace& user_ns = *cx.current.cred.user_ns;
    kgid_t low = make_kgid(user_ns, static_cast<unsigned>(low_in));
    kgid_t high = make_kgid(user_ns, static_cast<unsigned>(high_in));
    if (low == invalid_id || high == invalid_id)
        return -EINVAL;
    if (high_in < low_in || high < low) {
        low = 1;  // make_kgid(&init_user_ns, 1), (…, 0): empty
        high = 0;
    }
    n.set_ping_group_range(low, high);
    return 0;
}

}  // namespace sockmodel
