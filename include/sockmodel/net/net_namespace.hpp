// A network namespace (include/net/net_namespace.h): the user namespace that
// owns it, the sysctls the socket path reads and the counters
// /proc/net/sockstat reports.
#pragma once

#include <sockmodel/kernel/cred.hpp>

#include <array>

namespace sockmodel {

struct proto;

// The sysctls socket() consults: a literal type, so verdicts can use it in
// constant expressions.
struct net_sysctl {
    // net.ipv4.ping_group_range; inet_init_net starts it empty ("1 0").
    struct {
        kgid_t low = 1;
        kgid_t high = 0;
    } ping_group_range;
    bool mptcp_enabled = true;  // net.mptcp.enabled
    bool bindv6only = false;    // net.ipv6.bindv6only: sk_ipv6only of a new AF_INET6 sock
    int rmem_default = 212992;  // net.core.rmem_default
    int wmem_default = 212992;  // net.core.wmem_default
};

struct net {
    net_sysctl sysctl;
    // net->user_ns: the user namespace current was in when the netns was
    // created (copy_net_ns); capability checks on this netns's objects ask
    // about it (ns_capable(net->user_ns, ...)). Never NULL.
    const user_namespace* user_ns = &init_user_ns;

    long refcount = 0;    // references held by sockets (sk_net_refcnt) and tasks
    long sock_inuse = 0;  // "sockets: used": sock_inuse_add() from sk_alloc/__sk_free

    // struct prot_inuse: one counter per proto, indexed by the inuse_idx that
    // proto_register gave it (net/core/sock.c, PROTO_INUSE_NR slots).
    static constexpr int proto_inuse_nr = 64;
    std::array<long, proto_inuse_nr> prot_inuse{};

    long prot_inuse_total() const
    {
        long n = 0;
        for (long v : prot_inuse)
            n += v;
        return n;
    }
};

}  // namespace sockmodel
