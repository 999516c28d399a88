// A network namespace (include/net/net_namespace.h): the user namespace that
// owns it, the sysctls the socket path reads and the counters
// /proc/net/sockstat reports.
#pragma once

#include <sockmodel/kernel/cred.hpp>

#include <array>
#include <atomic>
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

    // write_seqlock(&net->ipv4.ping_group_range.lock), the range, write_sequnlock.
    void set_ping_group_range(kgid_t low, kgid_t high)
    {
        unsigned s = ping_seq_.load(std::memory_order_relaxed);
        for (;;) {  // the seqlock's spinlock: the count is even when no writer holds it
            if (!(s & 1) && ping_seq_.compare_exchange_weak(s, s + 1, std::memory_order_acquire))
                break;
            if (s & 1)
                s = ping_seq_.load(std::memory_order_relaxed);
        }
        std::atomic_thread_fence(std::memory_order_release);  // the odd count before the new ends
        std::atomic_ref<kgid_t>(sysctl.ping_group_range.low).store(low, std::memory_order_relaxed);
        std::atomic_ref<kgid_t>(sysctl.ping_group_range.high).store(high, std::memory_order_relaxed);
        ping_seq_.store(s + 2, std::memory_order_release);
    }
    // inet_get_ping_group_range_net: both ends from one write, retried while a writer is inside.
    std::pair<kgid_t, kgid_t> ping_group_range() const
    {
        for (;;) {
            const unsigned s = ping_seq_.load(std::memory_order_acquire);
            if (s & 1)
                continue;
            auto& r = const_cast<net_sysctl&>(sysctl).ping_group_range;
            const kgid_t low = std::atomic_ref<kgid_t>(r.low).load(std::memory_order_relaxed);
            const kgid_t high = std::atomic_ref<kgid_t>(r.high).load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            if (ping_seq_.load(std::memory_order_relaxed) == s)
                return {low, high};
        }
    }
    // WRITE_ONCE / READ_ONCE of one of the other sysctls (net.core.rmem_default, ...).
    template <class T>
    void sysctl_set(T net_sysctl::*field, T v)
    {
        std::atomic_ref<T>(sysctl.*field).store(v, std::memory_order_relaxed);
    }
    template <class T>
    T sysctl_once(T net_sysctl::*field) const
    {
        return std::atomic_ref<T>(const_cast<net_sysctl&>(sysctl).*field).load(std::memory_order_relaxed);
    }
    // Every sysctl at once, each read as the path reads it (the range under
    // the seqlock): what a decision taken under lock::smp looks at.
    net_sysctl sysctl_snapshot() const
    {
        net_sysctl s;
        std::tie(s.ping_group_range.low, s.ping_group_range.high) = ping_group_range();
        s.mptcp_enabled = sysctl_once(&net_sysctl::mptcp_enabled);
        s.bindv6only = sysctl_once(&net_sysctl::bindv6only);
        s.rmem_default = sysctl_once(&net_sysctl::rmem_default);
        s.wmem_default = sysctl_once(&net_sysctl::wmem_default);
        return s;
    }

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

private:
    std::atomic<unsigned> ping_seq_{0};  // the seqcount of ping_group_range.lock
};

}  // namespace sockmodel
