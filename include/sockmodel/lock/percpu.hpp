// Per-CPU data, the slab's per-CPU caches, get_next_ino, the nr_files
// percpu_counter and RCU, as the model's function bodies call them. Each
// forwards to the kernel's lock-policy state (kernel::smp: lock::up_state
// under lock::none, smp_state under lock::smp), which decides the cost: under
// lock::none one CPU, so a per-CPU count is the count and RCU is nothing.
#pragma once

#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/policy.hpp>

#include <cstddef>

namespace sockmodel {

struct cpu_area;  // kernel/smp.hpp

// The caches with a per-CPU magazine under lock::smp: filp, sock_inode_cache,
// and one per proto (by its inuse_idx).
namespace pcpu_cache {
inline constexpr unsigned filp = 0, sock_inode = 1, proto_base = 2;
inline constexpr unsigned count = proto_base + 64;  // PROTO_INUSE_NR protos
inline constexpr unsigned magazine = 16;            // objects a CPU keeps
inline constexpr unsigned batch = magazine / 2;     // moved at once to or from the depot
}  // namespace pcpu_cache

// The per-CPU slots of init_net's counters (net->ns.count's share kept per
// CPU by the model, sock_inuse, prot_inuse[]).
namespace pcpu_net {
inline constexpr unsigned refcount = 0, sock_inuse = 1, prot_inuse_base = 2;
inline constexpr unsigned count = prot_inuse_base + 64;
}  // namespace pcpu_net

// kmem_cache_alloc / kmem_cache_free on the calling task's CPU.
template <class Cx, class Cache>
inline void* kmem_cache_alloc(Cx& cx, unsigned idx, Cache& cache)
{
    return cx.k.smp.cache_alloc(cx.current.cpu, idx, cache);
}
template <class Cx, class Cache>
inline void kmem_cache_free(Cx& cx, unsigned idx, Cache& cache, void* p)
{
    cx.k.smp.cache_free(cx.current.cpu, idx, cache, p);
}

// rcu_read_lock / rcu_read_unlock on the calling task's CPU; synchronize_rcu.
template <class Cx>
inline void rcu_read_lock(Cx& cx)
{
    cx.k.smp.rcu_read_lock(cx.current.cpu);
}
template <class Cx>
inline void rcu_read_unlock(Cx& cx)
{
    cx.k.smp.rcu_read_unlock(cx.current.cpu);
}
template <class Cx>
inline void synchronize_rcu(Cx& cx)
{
    cx.k.smp.synchronize_rcu();
}

// rcu_dereference / rcu_assign_pointer.
template <class X, class T>
inline T* rcu_dereference(const X& x, T* const& p) noexcept
{
    return load_acquire(x, p);
}
template <class X, class T, class U>
inline void rcu_assign_pointer(const X& x, T*& p, U* v) noexcept
{
    store_release(x, p, v);
}

// this_cpu_add on a counter of a network namespace: per CPU for init_net
// under lock::smp (summed on read), atomic for the others; plain under lock::none.
template <class Cx>
inline void net_counter_add(Cx& cx, bool init_net, unsigned slot, atomic_long_t& shared, long val)
{
    cx.k.smp.net_counter_add(cx.current.cpu, init_net, slot, shared, val);
}

// A CPU's one-entry cache of a lookup (the proto sk_alloc asked for last):
// per CPU, so that under lock::smp no two CPUs write one line.
struct lookup_cache {
    const void* key = nullptr;
    void* value = nullptr;
};
template <class Cx>
inline lookup_cache& this_cpu_proto_cache(Cx& cx)
{
    return cx.k.smp.this_cpu_proto_cache(cx.current.cpu);
}

// The calling task's CPU's last inode number (get_next_ino, fs/inode.hpp).
template <class Cx>
inline unsigned& this_cpu_last_ino(Cx& cx)
{
    return cx.k.smp.this_cpu_last_ino(cx.current.cpu);
}

// The nr_files percpu_counter: percpu_counter_add, get_nr_files
// (percpu_counter_read_positive: the shared count, approximate by up to a
// batch per CPU under lock::smp) and percpu_counter_sum_positive (exact).
template <class Cx>
inline void nr_files_add(Cx& cx, long d)
{
    cx.k.smp.nr_files_add(cx.current.cpu, d);
}
template <class Cx>
inline long get_nr_files(Cx& cx)
{
    return cx.k.smp.nr_files_read_positive();
}
template <class Cx>
inline long nr_files_sum_positive(Cx& cx)
{
    const long n = cx.k.smp.nr_files_sum();
    return n < 0 ? 0 : n;
}

}  // namespace sockmodel
