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
//       close and dup take it); file and module reference counts are atomic
//       (atomic_long_t f_count, atomic_t mod->refcnt).
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <type_traits>

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sockmodel {

namespace lock {
struct none {};
struct smp {};
}  // namespace lock

template <class L>
inline constexpr bool is_smp = std::is_same_v<L, lock::smp>;

// spinlock_t: test-and-test-and-set.
class spinlock {
public:
    void lock() noexcept
    {
        while (locked_.exchange(true, std::memory_order_acquire))
            while (locked_.load(std::memory_order_relaxed))
                cpu_relax();
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

    static void cpu_relax() noexcept
    {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }

private:
    std::atomic<bool> locked_{false};
};

// A per-CPU counter: written only by its own CPU (a load and a store, no
// locked instruction), read by anyone.
class pcpu_long {
public:
    void add(long d) noexcept { v_.store(v_.load(std::memory_order_relaxed) + d, std::memory_order_relaxed); }
    long read() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<long> v_{0};
};

// Caches with a per-CPU magazine: filp, sock_inode_cache, and one per proto
// (by its inuse_idx).
namespace pcpu_cache {
inline constexpr unsigned filp = 0, sock_inode = 1, proto_base = 2;
inline constexpr unsigned count = proto_base + 64;  // PROTO_INUSE_NR protos
inline constexpr unsigned magazine = 16;            // objects a CPU keeps
inline constexpr unsigned batch = magazine / 2;     // moved at once to or from the depot
}  // namespace pcpu_cache

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
    pcpu_long net_refcount, sock_inuse;         // init_net's, per CPU
    pcpu_long prot_inuse[64];                   // init_net's prot_inuse, per CPU
    unsigned last_ino = 0;                      // get_next_ino's per-CPU last_ino
    std::atomic<unsigned long> rcu_nesting{0};  // odd inside a read-side critical section
    bool attached = false;                      // a task runs on it
};

class kmem_cache;

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

    // A CPU for a new task: a free one, or a new one.
    cpu_area* attach()
    {
        std::lock_guard g(areas_lock_);
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
        std::lock_guard g(areas_lock_);
        a->attached = false;  // its counters and magazines stay, for the next task
    }

    // kmem_cache_alloc / kmem_cache_free through this CPU's magazine.
    template <class Cache>
    void* cache_alloc(cpu_area& cpu, unsigned idx, Cache& depot)
    {
        cpu_area::magazine& m = cpu.mags[idx];
        if (m.n == 0) [[unlikely]] {
            std::lock_guard g(depot_lock_);
            while (m.n < pcpu_cache::batch) {
                void* p = depot.alloc();
                if (!p)
                    break;
                m.obj[m.n++] = p;
            }
            if (m.n == 0)
                return nullptr;
        }
        cpu.cache_active[idx].add(1);
        return m.obj[--m.n];
    }
    template <class Cache>
    void cache_free(cpu_area& cpu, unsigned idx, Cache& depot, void* p)
    {
        cpu_area::magazine& m = cpu.mags[idx];
        if (m.n == pcpu_cache::magazine) [[unlikely]] {
            std::lock_guard g(depot_lock_);
            while (m.n > pcpu_cache::magazine - pcpu_cache::batch)
                depot.free(m.obj[--m.n]);
        }
        m.obj[m.n++] = p;
        cpu.cache_active[idx].add(-1);
    }

    // percpu_counter_add(&nr_files, d) with the batch folding.
    void nr_files_add(cpu_area& cpu, long d)
    {
        cpu.nr_files.add(d);
        const long local = cpu.nr_files.read();
        if (local >= nr_files_batch || local <= -nr_files_batch) {
            nr_files_shared_.fetch_add(local, std::memory_order_relaxed);
            cpu.nr_files.add(-local);
        }
    }
    // get_nr_files: the shared count, approximate by up to a batch per CPU.
    long nr_files_approx() const { return nr_files_shared_.load(std::memory_order_relaxed); }

    // get_next_ino: a CPU's numbers come from a batch of LAST_INO_BATCH taken
    // from the shared counter; 32 bits, never 0.
    static constexpr unsigned last_ino_batch = 1024;
    unsigned get_next_ino(cpu_area& cpu)
    {
        unsigned res = cpu.last_ino;
        if ((res & (last_ino_batch - 1)) == 0)
            res = shared_last_ino_.fetch_add(last_ino_batch, std::memory_order_relaxed);
        ++res;
        if (res == 0)
            ++res;
        cpu.last_ino = res;
        return res;
    }

    // rcu_read_lock / rcu_read_unlock on this CPU.
    void rcu_read_lock(cpu_area& cpu)
    {
        cpu.rcu_nesting.store(cpu.rcu_nesting.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        if (memb_)
            std::atomic_signal_fence(std::memory_order_seq_cst);  // synchronize_rcu's membarrier is the fence
        else
            std::atomic_thread_fence(std::memory_order_seq_cst);
    }
    void rcu_read_unlock(cpu_area& cpu)
    {
        cpu.rcu_nesting.store(cpu.rcu_nesting.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    // synchronize_rcu: every read-side critical section in progress when it
    // was called has ended when it returns. The caller's store (the cleared
    // table entry) precedes it.
    void synchronize_rcu()
    {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (memb_)
            ::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
        std::lock_guard g(areas_lock_);
        for (auto& a : areas_) {
            const unsigned long seen = a->rcu_nesting.load(std::memory_order_acquire);
            if (seen & 1)
                while (a->rcu_nesting.load(std::memory_order_acquire) == seen)
                    std::this_thread::yield();
        }
        ++grace_periods_;
    }
    unsigned long grace_periods() const { return grace_periods_; }

    // Sums over every CPU (for counters(); exact when no call is in flight).
    template <class F>
    long sum(F&& f) const
    {
        std::lock_guard g(areas_lock_);
        long n = 0;
        for (const auto& a : areas_)
            n += f(*a);
        return n;
    }
    long nr_files_sum() const { return nr_files_approx() + sum([](const cpu_area& a) { return a.nr_files.read(); }); }

    std::mutex& tasks_lock() { return tasks_lock_; }
    std::mutex& registry_lock() { return registry_lock_; }
    std::mutex& ns_lock() { return ns_lock_; }

    // The families' own locks, named as in the kernel: ptype_lock
    // (net/core/dev.c, dev_add_pack), nl_table_lock (netlink_lock_table for
    // readers, netlink_table_grab for writers), vsock_register_mutex and
    // vsock_table_lock (net/vmw_vsock/af_vsock.c).
    spinlock& ptype_lock() { return ptype_lock_; }
    std::shared_mutex& nl_table_lock() { return nl_table_lock_; }
    std::mutex& vsock_register_mutex() { return vsock_register_mutex_; }
    spinlock& vsock_table_lock() { return vsock_table_lock_; }

private:
    mutable std::mutex areas_lock_;
    std::deque<std::unique_ptr<cpu_area>> areas_;
    std::mutex depot_lock_;
    std::mutex tasks_lock_;
    std::mutex registry_lock_;  // sock_register/sock_unregister (net_family_lock)
    spinlock ptype_lock_;
    std::shared_mutex nl_table_lock_;
    std::mutex vsock_register_mutex_;
    spinlock vsock_table_lock_;
    std::mutex ns_lock_;        // the lists of namespaces unshare creates (net_rwsem for net_namespace_list)
    std::atomic<long> nr_files_shared_{0};
    std::atomic<unsigned> shared_last_ino_{0};
    unsigned long grace_periods_ = 0;
    bool memb_ = false;
};

// What kernel::smp is under lock::none: nothing.
struct no_smp_state {};

}  // namespace sockmodel
