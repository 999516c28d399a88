// A network namespace (include/net/net_namespace.h): the user namespace that
// owns it, the sysctls the socket path reads and the counters
// /proc/net/sockstat reports.
#pragma once

#include <sockmodel/kernel/cred.hpp>

#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/spinlock.hpp>

#include <array>
#include <tuple>
#include <utility>

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
    int tcp_wmem_default = 16384;   // net.ipv4.tcp_wmem[1]: sk_sndbuf of a new TCP or MPTCP sock
    int tcp_rmem_default = 131072;  // net.ipv4.tcp_rmem[1]: its sk_rcvbuf
    int txrehash = 1;  // net.core.txrehash: a TCP sock's sk_txrehash (SOCK_TXREHASH_ENABLED)
};

// Sysctls while other threads are in system calls (lock::smp): the kernel
// reads a sysctl with READ_ONCE and proc_dointvec writes it whole; the two
// ends of net.ipv4.ping_group_range are read together under a seqlock
// (inet_get_ping_group_range_net: read_seqbegin / read_seqretry on
// net->ipv4.ping_group_range.lock; set_ping_group_range takes write_seqlock).
// Write them with set_ping_group_range and sysctl_set (both lock policies);
// writing `sysctl` directly is fine while no other thread is in the kernel.
struct net {
    net_sysctl sysctl;

    // set_ping_group_range: write_seqlock(&net->ipv4.ping_group_range.lock),
    // the range, write_sequnlock.
    void set_ping_group_range(kgid_t low, kgid_t high)
    {
        write_seqlock(ping_group_range_lock);
        __atomic_store_n(&sysctl.ping_group_range.low, low, __ATOMIC_RELAXED);
        __atomic_store_n(&sysctl.ping_group_range.high, high, __ATOMIC_RELAXED);
        write_sequnlock(ping_group_range_lock);
    }
    // inet_get_ping_group_range_net: both ends from one write, retried while
    // a writer is inside (once, under lock::none). X: the reader's policy.
    template <class X = lock::any_thread>
    std::pair<kgid_t, kgid_t> ping_group_range(const X& x = {}) const
    {
        kgid_t low = 0, high = 0;
        unsigned seq = 0;
        do {
            seq = read_seqbegin(x, ping_group_range_lock);
            low = read_once(x, sysctl.ping_group_range.low);
            high = read_once(x, sysctl.ping_group_range.high);
        } while (read_seqretry(x, ping_group_range_lock, seq));
        return {low, high};
    }
    // WRITE_ONCE / READ_ONCE of one of the other sysctls (net.core.rmem_default, ...).
    template <class T>
    void sysctl_set(T net_sysctl::*field, T v)
    {
        __atomic_store_n(&(sysctl.*field), v, __ATOMIC_RELAXED);
    }
    template <class T>
    T sysctl_once(T net_sysctl::*field) const
    {
        return __atomic_load_n(&(sysctl.*field), __ATOMIC_RELAXED);
    }
    // Every sysctl at once, each read as the path reads it (the range under
    // the seqlock): what a decision taken while writers run looks at.
    template <class X = lock::any_thread>
    net_sysctl sysctl_snapshot(const X& x = {}) const
    {
        net_sysctl s;
        std::tie(s.ping_group_range.low, s.ping_group_range.high) = ping_group_range(x);
        s.mptcp_enabled = read_once(x, sysctl.mptcp_enabled);
        s.bindv6only = read_once(x, sysctl.bindv6only);
        s.rmem_default = read_once(x, sysctl.rmem_default);
        s.wmem_default = read_once(x, sysctl.wmem_default);
        s.tcp_wmem_default = read_once(x, sysctl.tcp_wmem_default);
        s.tcp_rmem_default = read_once(x, sysctl.tcp_rmem_default);
        return s;
    }

    // net->user_ns: the user namespace current was in when the netns was
    // created (copy_net_ns); capability checks on this netns's objects ask
    // about it (ns_capable(net->user_ns, ...)). Never NULL.
    const user_namespace* user_ns = &init_user_ns;

    // References held by sockets (sk_net_refcnt) and tasks, and "sockets:
    // used" (sock_inuse_add from sk_alloc/__sk_free). For init_net under
    // lock::smp most of each is per CPU (net_counter, lock/percpu.hpp).
    atomic_long_t refcount;
    atomic_long_t sock_inuse;

    // struct prot_inuse: one counter per proto, indexed by the inuse_idx that
    // proto_register gave it (net/core/sock.c, PROTO_INUSE_NR slots).
    static constexpr int proto_inuse_nr = 64;
    std::array<atomic_long_t, proto_inuse_nr> prot_inuse{};

    long prot_inuse_total() const
    {
        long n = 0;
        for (const atomic_long_t& v : prot_inuse)
            n += __atomic_load_n(&v.counter, __ATOMIC_RELAXED);
        return n;
    }

    seqlock_t ping_group_range_lock;  // net->ipv4.ping_group_range.lock
};

}  // namespace sockmodel
