// A network namespace (include/net/net_namespace.h): the sysctls the socket
// path reads and the counters /proc/net/sockstat reports.
#pragma once

#include <sockmodel/kernel/cred.hpp>

#include <vector>

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
    int rmem_default = 212992;  // net.core.rmem_default
    int wmem_default = 212992;  // net.core.wmem_default
};

struct net {
    net_sysctl sysctl;

    long refcount = 0;    // references held by sockets (sk_net_refcnt) and tasks
    long sock_inuse = 0;  // "sockets: used": sock_inuse_add() from sk_alloc/__sk_free

    struct prot_inuse_entry {
        const proto* prot;
        long inuse;
    };
    std::vector<prot_inuse_entry> prot_inuse;  // sock_prot_inuse_add(), per proto

    void sock_prot_inuse_add(const proto* prot, long delta)
    {
        for (auto& e : prot_inuse)
            if (e.prot == prot) {
                e.inuse += delta;
                return;
            }
        prot_inuse.push_back({prot, delta});
    }

    long sock_prot_inuse_get(const proto* prot) const
    {
        for (const auto& e : prot_inuse)
            if (e.prot == prot)
                return e.inuse;
        return 0;
    }
};

}  // namespace sockmodel
