// The lock policy (opt::locking): what a model kernel does when several
// threads make system calls on it at once.
//
//   lock::none  (the default) one system call at a time; nothing here is used
//               and the path compiles exactly as without a policy.
//   lock::smp   the kernel's SMP design, in user space:
//     - each task runs on a "CPU": a cpu_area it owns while it exists (a task
//       is used by one thread at a time, as a task runs on one CPU at a time);
//     - slab caches have a per-CPU magazine (SLUB's cpu slab) refilled from
//       and flushed to the shared cache (the depot) under its lock, in batches;
//     - counters are per CPU, written by their CPU only and summed on read
//       (nr_files is a percpu_counter with a shared approximate count, read
//       by alloc_empty_file as get_nr_files reads it);
//     - inode numbers come from per-CPU batches of LAST_INO_BATCH
//       (get_next_ino);
//     - net_families is read as under rcu_read_lock: readers never block,
//       sock_unregister waits for a grace period (synchronize_rcu) before it
//       returns, here with a per-CPU nesting counter that the writer samples
//       after membarrier(2) has made every reader's store visible (liburcu's
//       "memb" flavour);
//     - each files_struct has its file_lock (fs/file.c: alloc_fd, fd_install,
//       close and dup take it); reference counts are atomic (refcount_t,
//       atomic_long_t: lock/atomic.hpp), locks are real (lock/spinlock.hpp).
//
// A program that configures opt::locking<lock::smp> includes this header; a
// lock::none program never parses it (<thread>, <deque>, membarrier).
#pragma once

#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/percpu.hpp>
#include <sockmodel/lock/policy.hpp>
#include <sockmodel/lock/spinlock.hpp>

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <thread>

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sockmodel {

class smp_state;

namespace lock {
struct smp {
    using state = smp_state;
};
}  // namespace lock

// A per-CPU counter: written only by its own CPU (a load and a store, no
// locked instruction), read by anyone.
class pcpu_long {
public:
    void add(long d) noexcept { v_.store(v_.load(std::memory_order_relaxed) + d, std::memory_order_relaxed); }
    long read() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<long> v_{0};
};

// One CPU's share of a kernel's state. Aligned so that no two CPUs' areas
// share a cache line (the kernel's per-CPU areas are separate pages): the
// end of one (rcu_nesting, written by every call) and the start of the next
// (the filp magazine) would otherwise bounce between CPUs. 128: the line
// pair the adjacent-line prefetcher moves together.
struct alignas(128) cpu_area {
    struct magazine {
        unsigned n = 0;
        void* obj[pcpu_cache::magazine];
    };
    magazine mags[pcpu_cache::count]{};
    pcpu_long cache_active[pcpu_cache::count];  // objects handed out minus freed, by this CPU
    pcpu_long nr_files;                         // this CPU's share not yet folded into the shared count
    pcpu_long net[pcpu_net::count];             // init_net's counters, per CPU
    unsigned last_ino = 0;                      // get_next_ino's per-CPU last_ino
    lookup_cache proto_cache;                   // the proto sk_alloc asked for last on this CPU
    std::atomic<unsigned long> rcu_nesting{0};  // odd inside a read-side critical section
    // The run-time hook list this CPU's task is walking, and the thread
    // walking it (hooks_enter): a writer on that thread is inside the walk.
    std::atomic<const void*> in_hooks{nullptr};
    std::atomic<std::thread::id> hooks_thread{};
    bool attached = false;                      // a task runs on it
};

// The SMP half of a kernel (kernel::smp with lock::smp).
class smp_state {
public:
    static constexpr long nr_files_batch = 32;  // percpu_counter_batch

    smp_state()
    {
        // Once per process; later calls succeed again. Without it (an old
        // kernel), readers fall back to a full fence.
        memb_ = ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    }
    smp_state(const smp_state&) = delete;
    smp_state& operator=(const smp_state&) = delete;

    // The entry check of lock::none (lock/up.hpp): threads are this policy's
    // purpose, so there is nothing to check.
    struct entry {
        static constexpr bool concurrent() { return false; }
    };
    entry enter() { return {}; }

    // A CPU for a new task: a free one, or a new one.
    cpu_area* attach()
    {
        lock_guard<lock::smp, spinlock_t> g(areas_lock_);
        for (auto& a : areas_)
            if (!a->attached) {
                a->attached = true;
                return a.get();
            }
        areas_.push_back(std::make_unique<cpu_area>());
        areas_.back()->attached = true;
        return areas_.back().get();
    }
    void detach(cpu_area* a)
    {
        lock_guard<lock::smp, spinlock_t> g(areas_lock_);
        a->attached = false;  // its counters and magazines stay, for the next task
    }

    // kmem_cache_alloc / kmem_cache_free through this CPU's magazine.
    template <class Cache>
    void* cache_alloc(cpu_area* cpu, unsigned idx, Cache& depot)
    {
        cpu_area::magazine& m = cpu->mags[idx];
        if (m.n == 0) [[unlikely]] {
            lock_guard<lock::smp, spinlock_t> g(depot_lock_);
            while (m.n < pcpu_cache::batch) {
                void* p = depot.alloc();
                if (!p)
                    break;
                m.obj[m.n++] = p;
            }
            if (m.n == 0)
                return nullptr;
        }
        cpu->cache_active[idx].add(1);
        return m.obj[--m.n];
    }
    template <class Cache>
    void cache_free(cpu_area* cpu, unsigned idx, Cache& depot, void* p)
    {
        cpu_area::magazine& m = cpu->mags[idx];
        if (m.n == pcpu_cache::magazine) [[unlikely]] {
            lock_guard<lock::smp, spinlock_t> g(depot_lock_);
            while (m.n > pcpu_cache::magazine - pcpu_cache::batch)
                depot.free(m.obj[--m.n]);
        }
        m.obj[m.n++] = p;
        cpu->cache_active[idx].add(-1);
    }
    template <class Cache>
    std::size_t cache_in_use(unsigned idx, const Cache&) const
    {
        return static_cast<std::size_t>(sum([&](const cpu_area& a) { return a.cache_active[idx].read(); }));
    }

    unsigned& this_cpu_last_ino(cpu_area* cpu) { return cpu->last_ino; }
    lookup_cache& this_cpu_proto_cache(cpu_area* cpu) { return cpu->proto_cache; }

    // percpu_counter_add(&nr_files, d) with the batch folding.
    void nr_files_add(cpu_area* cpu, long d)
    {
        cpu->nr_files.add(d);
        const long local = cpu->nr_files.read();
        if (local >= nr_files_batch || local <= -nr_files_batch) {
            nr_files_shared_.fetch_add(local, std::memory_order_relaxed);
            cpu->nr_files.add(-local);
        }
    }
    // percpu_counter_read_positive: the shared count, approximate by up to a
    // batch per CPU (other CPUs' unfolded frees can leave it below zero).
    long nr_files_read_positive() const
    {
        const long n = nr_files_shared_.load(std::memory_order_relaxed);
        return n < 0 ? 0 : n;
    }
    // percpu_counter_sum: exact when no call is in flight.
    long nr_files_sum() const
    {
        return nr_files_shared_.load(std::memory_order_relaxed) + sum([](const cpu_area& a) { return a.nr_files.read(); });
    }

    // The stress tests' fd_observer, under file_lock.
    template <class Files, class Observer>
    void fd_observe(const Files& files, const Observer* o, int fd, bool allocated)
    {
        if (o)
            (allocated ? o->allocated : o->released)(o->arg, files, fd);
    }

    // rcu_read_lock / rcu_read_unlock on this CPU.
    void rcu_read_lock(cpu_area* cpu)
    {
        cpu->rcu_nesting.store(cpu->rcu_nesting.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        if (memb_)
            std::atomic_signal_fence(std::memory_order_seq_cst);  // synchronize_rcu's membarrier is the fence
        else
            std::atomic_thread_fence(std::memory_order_seq_cst);
    }
    void rcu_read_unlock(cpu_area* cpu)
    {
        cpu->rcu_nesting.store(cpu->rcu_nesting.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    // Is this CPU inside a read-side critical section? (A writer that would
    // wait for itself asks first.)
    static bool in_rcu_read(const cpu_area* cpu) { return cpu && (cpu->rcu_nesting.load(std::memory_order_relaxed) & 1); }

    // The hook list the task on `cpu` walks (security/hooks.hpp): the thread
    // first, then the list (release), so that a writer that sees the list
    // sees the thread that walks it.
    const void* hooks_enter(cpu_area* cpu, const void* head)
    {
        cpu->hooks_thread.store(std::this_thread::get_id(), std::memory_order_relaxed);
        return cpu->in_hooks.exchange(head, std::memory_order_acq_rel);
    }
    void hooks_exit(cpu_area* cpu, const void* prev) { cpu->in_hooks.store(prev, std::memory_order_release); }
    // Is the calling thread walking a hook list on some CPU? (A writer that
    // would wait for a grace period inside its own read section asks first.)
    bool in_hooks() const
    {
        const std::thread::id me = std::this_thread::get_id();
        lock_guard<lock::smp, spinlock_t> g(areas_lock_);
        for (const auto& a : areas_)
            if (a->in_hooks.load(std::memory_order_acquire) != nullptr &&
                a->hooks_thread.load(std::memory_order_relaxed) == me)
                return true;
        return false;
    }

    // synchronize_rcu: every read-side critical section in progress when it
    // was called has ended when it returns. The caller's store (the cleared
    // table entry) precedes it.
    void synchronize_rcu()
    {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (memb_)
            ::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
        lock_guard<lock::smp, spinlock_t> g(areas_lock_);
        for (auto& a : areas_) {
            const unsigned long seen = a->rcu_nesting.load(std::memory_order_acquire);
            if (seen & 1)
                while (a->rcu_nesting.load(std::memory_order_acquire) == seen)
                    std::this_thread::yield();
        }
        grace_periods_.fetch_add(1, std::memory_order_relaxed);
    }
    unsigned long grace_periods() const { return grace_periods_.load(std::memory_order_relaxed); }

    // this_cpu_add for init_net's counters; an atomic add on another netns's.
    void net_counter_add(cpu_area* cpu, bool init_net, unsigned slot, atomic_long_t& shared, long val)
    {
        if (init_net)
            cpu->net[slot].add(val);
        else
            atomic_add(lock::smp{}, shared, val);
    }
    // The per-CPU part of one of init_net's counters, summed.
    long net_counter_percpu(unsigned slot) const
    {
        return sum([&](const cpu_area& a) { return a.net[slot].read(); });
    }

    // Sums over every CPU (for counters(); exact when no call is in flight).
    template <class F>
    long sum(F&& f) const
    {
        lock_guard<lock::smp, spinlock_t> g(areas_lock_);
        long n = 0;
        for (const auto& a : areas_)
            n += f(*a);
        return n;
    }

private:
    mutable spinlock_t areas_lock_;
    std::deque<std::unique_ptr<cpu_area>> areas_;
    spinlock_t depot_lock_;
    std::atomic<long> nr_files_shared_{0};
    std::atomic<unsigned long> grace_periods_{0};
    bool memb_ = false;
};

}  // namespace sockmodel
