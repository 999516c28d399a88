// lock::none: one system call at a time, as a uniprocessor kernel without
// preemption runs. Its state (kernel::smp) is one CPU's: the slab caches are
// used directly, a per-CPU count is the count, RCU read sections and grace
// periods are empty. Everything here inlines to the plain operation.
#pragma once

#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/percpu.hpp>
#include <sockmodel/lock/policy.hpp>

#include <cstddef>
#include <utility>

namespace sockmodel {

namespace lock {
struct up_state;

struct none {
    using state = up_state;
};

struct up_state {
#ifndef NDEBUG
    // The one rule of lock::none, checked with NDEBUG off: a system call's
    // entry claims the kernel for its thread (one atomic compare-exchange)
    // until it returns; an entry from another thread meanwhile is
    // concurrent(). The same thread may enter again (a hook that makes a
    // system call). With NDEBUG the check is compiled out. A thread is told
    // by the address of a thread_local byte (no <thread> in the default path).
    static const void* this_thread_tag()
    {
        static thread_local const char tag = 0;
        return &tag;
    }
    class entry {
    public:
        explicit entry(up_state& s) : s_(s)
        {
            const void* owner = nullptr;
            const void* me = this_thread_tag();
            outer_ = __atomic_compare_exchange_n(&s.in_call_, &owner, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
            concurrent_ = !outer_ && owner != me;
        }
        ~entry()
        {
            if (outer_)
                __atomic_store_n(&s_.in_call_, static_cast<const void*>(nullptr), __ATOMIC_RELEASE);
        }
        entry(const entry&) = delete;
        entry& operator=(const entry&) = delete;
        bool concurrent() const { return concurrent_; }

    private:
        up_state& s_;
        bool outer_ = false;
        bool concurrent_ = false;
    };
    entry enter() { return entry(*this); }
#else
    struct entry {
        static constexpr bool concurrent() { return false; }
    };
    entry enter() { return {}; }
#endif

    cpu_area* attach() { return nullptr; }
    void detach(cpu_area*) {}

    template <class Cache>
    void* cache_alloc(cpu_area*, unsigned, Cache& cache)
    {
        return cache.alloc();
    }
    template <class Cache>
    void cache_free(cpu_area*, unsigned, Cache& cache, void* p)
    {
        cache.free(p);
    }
    // Objects handed out and not given back (the caches' own count here).
    template <class Cache>
    std::size_t cache_in_use(unsigned, const Cache& cache) const
    {
        return cache.active_objs();
    }

    unsigned& this_cpu_last_ino(cpu_area*) { return last_ino_; }
    lookup_cache& this_cpu_proto_cache(cpu_area*) { return proto_cache_; }

    void nr_files_add(cpu_area*, long d) { nr_files_ += d; }
    long nr_files_read_positive() const { return nr_files_; }
    long nr_files_sum() const { return nr_files_; }

    template <class Files, class Observer>
    void fd_observe(const Files&, const Observer*, int, bool) {}

    void rcu_read_lock(cpu_area*) {}
    void rcu_read_unlock(cpu_area*) {}
    // Which run-time hook list the caller is walking (security/hooks.hpp), so
    // that a writer called from inside a hook defers the free of the list it
    // replaces (call_rcu) instead of freeing it under the walk. One thread:
    // the one in the kernel is the caller.
    const void* hooks_enter(cpu_area*, const void* head) { return std::exchange(in_hooks_, head); }
    void hooks_exit(cpu_area*, const void* prev) { in_hooks_ = prev; }
    bool in_hooks() const { return in_hooks_ != nullptr; }
    void synchronize_rcu() {}
    unsigned long grace_periods() const { return 0; }

    void net_counter_add(cpu_area*, bool, unsigned, atomic_long_t& shared, long val) { shared.counter += val; }
    long net_counter_percpu(unsigned) const { return 0; }

private:
    unsigned last_ino_ = 0;
    long nr_files_ = 0;
    lookup_cache proto_cache_;
    const void* in_hooks_ = nullptr;
#ifndef NDEBUG
    const void* in_call_ = nullptr;  // the thread inside (this_thread_tag), read and written atomically
#endif
};
}  // namespace lock

}  // namespace sockmodel
