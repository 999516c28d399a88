// The descriptor table (fs/file.c): files_struct, fdtable with its three
// bitmaps, alloc_fd's lowest-free search with the find_next_fd fast path,
// expand_files growth, fd_install, the close side, dup_fd for fork, and the
// traced entry points the socket path calls (get_unused_fd_flags, ...).
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/fs.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>

#include <bit>
#include <cassert>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sockmodel {

// Fault points (fault/fault.hpp) of this file's functions.
namespace fault_point {
inline constexpr fault_point_info alloc_fd{.name = "alloc_fd", .fn = "get_unused_fd_flags", .what = "alloc_fd: no free fd below RLIMIT_NOFILE", .err = -EMFILE};
inline constexpr fault_point_info expand_files{.name = "expand_files", .fn = "get_unused_fd_flags", .what = "expand_files: alloc_fdtable returns NULL", .err = -ENOMEM};
}  // namespace fault_point

struct file;
struct task_struct;
// kernel/task.hpp: RLIMIT_NOFILE as get_unused_fd_flags reads it.
template <class X>
inline unsigned long task_rlimit(const X& x, const task_struct& t, int resource);

inline constexpr unsigned bits_per_long = sizeof(unsigned long) * CHAR_BIT;
inline constexpr unsigned nr_open_default = bits_per_long;  // NR_OPEN_DEFAULT: the embedded table

struct fdtable {
    unsigned max_fds = 0;  // always a multiple of BITS_PER_LONG
    std::vector<file*> fd;
    std::vector<unsigned long> open_fds;
    std::vector<unsigned long> close_on_exec;
    std::vector<unsigned long> full_fds_bits;  // one bit per word of open_fds

    explicit fdtable(unsigned nr)
        : max_fds(nr), fd(nr, nullptr), open_fds(nr / bits_per_long, 0UL),
          close_on_exec(nr / bits_per_long, 0UL),
          full_fds_bits((nr / bits_per_long + bits_per_long - 1) / bits_per_long, 0UL)
    {
    }

    bool test(const std::vector<unsigned long>& map, unsigned bit) const
    {
        return (map[bit / bits_per_long] >> (bit % bits_per_long)) & 1UL;
    }
};

struct files_stats {
    unsigned long expansions = 0;          // expand_fdtable calls
    unsigned long rcu_grace_periods = 0;   // synchronize_rcu() for a shared table
};

class files_struct;

// Called under file_lock (lock::smp only: fd_observe, lock/percpu.hpp) as an
// fd is handed out and as it is given back: what a stress test checks the
// table's invariants with.
struct fd_observer {
    void (*allocated)(void* arg, const files_struct& files, int fd) = nullptr;
    void (*released)(void* arg, const files_struct& files, int fd) = nullptr;
    void* arg = nullptr;
};

class files_struct {
public:
    files_struct() : fdt_(nr_open_default) {}

    // files->file_lock: taken by alloc_fd, fd_install, close and dup (a real
    // lock under lock::smp only).
    mutable spinlock_t file_lock;
    const fd_observer* observer = nullptr;

    const fdtable& fdt() const { return fdt_; }
    unsigned next_fd() const { return next_fd_; }

    // files->count: the tasks using this table (atomic_t in the kernel).
    // clone(CLONE_FILES) takes one (get), exit_files drops one (put:
    // put_files_struct's atomic_dec_and_test; true for the last user, who
    // closes what is open). Atomic under lock::smp, a plain count otherwise.
    template <class X>
    int users(const X& x) const
    {
        return atomic_read(x, count_);
    }
    int users() const { return atomic_read(lock::any_thread{}, count_); }
    template <class X>
    void get(const X& x)
    {
        atomic_inc(x, count_);
    }
    template <class X>
    bool put(const X& x)
    {
        return atomic_dec_and_test(x, count_);
    }
    const files_stats& stats() const { return stats_; }

    // alloc_fd(start, end, flags): the lowest free fd >= start, below `end`
    // (RLIMIT_NOFILE), growing the table as needed. `shared` is files->count > 1.
    // `alloc_fails()` is asked before a bigger table is allocated (fault injection).
    struct table_allocates {
        constexpr bool operator()() const { return false; }
    };
    template <class AllocFails = table_allocates>
    int alloc_fd(unsigned start, unsigned end, bool cloexec, unsigned nr_open, bool shared,
                 AllocFails&& alloc_fails = {})
    {
        for (;;) {
            unsigned fd = start < next_fd_ ? next_fd_ : start;
            if (fd < fdt_.max_fds)
                fd = find_next_fd(fd);
            // The rlimit is checked before any growth.
            if (fd >= end)
                return -EMFILE;
            if (fd >= fdt_.max_fds) {
                if (fd + 1 > fdt_.max_fds && fd < nr_open && alloc_fails())
                    return -ENOMEM;  // expand_fdtable: alloc_fdtable returned NULL
                const int err = expand_files(fd, nr_open, shared);
                if (err < 0)
                    return err;
                continue;
            }
            if (start <= next_fd_)
                next_fd_ = fd + 1;
            set_open_fd(fd, cloexec);
            return static_cast<int>(fd);
        }
    }

    // put_unused_fd: give back a reserved fd that was never installed.
    void put_unused_fd(unsigned fd)
    {
        clear_open_fd(fd);
        if (fd < next_fd_)
            next_fd_ = fd;
    }

    // fd_install: the slot must be reserved and empty (the kernel BUG()s otherwise).
    void fd_install(unsigned fd, file* f)
    {
        assert(fd < fdt_.max_fds && fdt_.test(fdt_.open_fds, fd) && !fdt_.fd[fd] &&
               "fd_install on an fd that was not reserved, or already installed");
        fdt_.fd[fd] = f;
    }

    // files_lookup_fd_raw: the file at fd, or nullptr (also for reserved fds).
    file* lookup(int fd) const
    {
        if (static_cast<unsigned>(fd) >= fdt_.max_fds)  // a negative fd is a huge unsigned one, as in fs/file.c
            return nullptr;
        return fdt_.fd[static_cast<unsigned>(fd)];
    }

    // file_close_fd_locked: detach the file from fd and free the slot.
    file* close_fd(int fd)
    {
        file* f = lookup(fd);
        if (f) {
            fdt_.fd[static_cast<unsigned>(fd)] = nullptr;
            put_unused_fd(static_cast<unsigned>(fd));
        }
        return f;
    }

    bool close_on_exec(int fd) const
    {
        return fd >= 0 && static_cast<unsigned>(fd) < fdt_.max_fds &&
               fdt_.test(fdt_.close_on_exec, static_cast<unsigned>(fd));
    }

    // dup_fd (fork without CLONE_FILES): the same table, every open file
    // referenced once more by the copy; an fd another thread reserved but has
    // not installed yet is not copied (free in the copy), and the copy's
    // next_fd starts at 0. `get` takes the reference.
    template <class Get>
    void dup_from(const files_struct& old, Get&& get)
    {
        fdt_ = fdtable(old.fdt_.max_fds);
        for (unsigned fd = 0; fd < old.fdt_.max_fds; ++fd)
            if (file* f = old.fdt_.fd[fd]) {
                get(f);
                fdt_.fd[fd] = f;
                set_open_fd(fd, old.fdt_.test(old.fdt_.close_on_exec, fd));
            }
        next_fd_ = 0;
    }

    unsigned open_count() const
    {
        unsigned n = 0;
        for (unsigned long w : fdt_.open_fds)
            n += static_cast<unsigned>(std::popcount(w));
        return n;
    }

private:
    // find_next_fd: first look in the word holding `start`, then let
    // full_fds_bits skip whole words that are full.
    unsigned find_next_fd(unsigned start) const
    {
        const unsigned maxfd = fdt_.max_fds;
        const unsigned maxbit = maxfd / bits_per_long;
        unsigned word = start / bits_per_long;
        const unsigned long free_here = ~fdt_.open_fds[word] >> (start % bits_per_long);
        if (free_here)
            return start + static_cast<unsigned>(std::countr_zero(free_here));
        word = find_next_zero_bit(fdt_.full_fds_bits, maxbit, word);
        const unsigned first = word * bits_per_long;
        if (first >= maxfd)
            return maxfd;
        return find_next_zero_bit(fdt_.open_fds, maxfd, first > start ? first : start);
    }

    static unsigned find_next_zero_bit(const std::vector<unsigned long>& map, unsigned size,
                                       unsigned offset)
    {
        for (unsigned i = offset; i < size;) {
            const unsigned long w = ~map[i / bits_per_long] >> (i % bits_per_long);
            if (w) {
                const unsigned bit = i + static_cast<unsigned>(std::countr_zero(w));
                return bit < size ? bit : size;
            }
            i = (i / bits_per_long + 1) * bits_per_long;
        }
        return size;
    }

    void set_open_fd(unsigned fd, bool cloexec)
    {
        const unsigned word = fd / bits_per_long;
        const unsigned long bit = 1UL << (fd % bits_per_long);
        fdt_.open_fds[word] |= bit;
        if (cloexec)
            fdt_.close_on_exec[word] |= bit;
        else if (fdt_.close_on_exec[word] & bit)  // clear only when set, as the kernel does
            fdt_.close_on_exec[word] &= ~bit;
        if (fdt_.open_fds[word] == ~0UL)
            fdt_.full_fds_bits[word / bits_per_long] |= 1UL << (word % bits_per_long);
    }

    // __clear_open_fd leaves close_on_exec alone; the next set_open_fd fixes
    // it. full_fds_bits is written only when its bit is set, as the kernel's
    // test_bit before __clear_bit; the bit is set exactly when the word was
    // full (set_open_fd sets it as the word fills, this clears it), so the
    // word read for the clear answers the test and the common close touches
    // open_fds alone.
    void clear_open_fd(unsigned fd)
    {
        const unsigned word = fd / bits_per_long;
        const unsigned long was = fdt_.open_fds[word];
        fdt_.open_fds[word] = was & ~(1UL << (fd % bits_per_long));
        if (was == ~0UL) [[unlikely]]
            fdt_.full_fds_bits[word / bits_per_long] &= ~(1UL << (word % bits_per_long));
    }

    // expand_files(nr) / expand_fdtable / alloc_fdtable.
    int expand_files(unsigned nr, unsigned nr_open, bool shared)
    {
        if (nr < fdt_.max_fds)
            return 0;
        if (nr >= nr_open)
            return -EMFILE;
        const unsigned wanted = nr + 1;
        unsigned n = std::bit_ceil(wanted);
        if (n > nr_open) {
            n = nr_open / bits_per_long * bits_per_long;
            if (n < wanted)
                return -EMFILE;
        }
        // A table other threads may be reading is freed only after a grace period.
        if (shared)
            ++stats_.rcu_grace_periods;
        ++stats_.expansions;
        fdtable bigger(n);
        copy_fdtable(bigger, fdt_);
        fdt_ = std::move(bigger);
        return 1;
    }

    // copy_fdtable (fs/file.c): the old table's files and bitmaps into the
    // start of the bigger one.
    static void copy_fdtable(fdtable& nfdt, const fdtable& ofdt)
    {
        const auto copy = [](auto& to, const auto& from) {
            if (!from.empty())
                __builtin_memcpy(to.data(), from.data(), from.size() * sizeof(from[0]));
        };
        copy(nfdt.fd, ofdt.fd);
        copy(nfdt.open_fds, ofdt.open_fds);
        copy(nfdt.close_on_exec, ofdt.close_on_exec);
        copy(nfdt.full_fds_bits, ofdt.full_fds_bits);
    }

    fdtable fdt_;
    unsigned next_fd_ = 0;
    atomic_t count_{1};
    files_stats stats_;
};

// ---------------------------------------------------------------------------
// The entry points, traced, on the calling task's table.

// The table's fd_observer, told of an fd handed out or given back (lock::smp
// only; the kernel has no such hook: it is the stress tests' window).
template <class Cx>
inline void fd_observe(Cx& cx, const files_struct& files, int fd, bool allocated)
{
    cx.k.smp.fd_observe(files, files.observer, fd, allocated);
}

// get_unused_fd_flags → alloc_fd(0, rlimit(RLIMIT_NOFILE), flags), under
// spin_lock(&files->file_lock).
template <class K>
inline int get_unused_fd_flags(context<K>& cx, int flags)
{
    using abi = typename K::abi;
    auto& current = cx.current;  // task_struct, complete where K is
    auto t = trace::enter(cx, "get_unused_fd_flags");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_open_flags<abi>(flags); });
    const unsigned long nofile = task_rlimit(cx, current, abi::rlimit_nofile);
    const unsigned nr_open = get_nr_open(cx);
    files_struct& files = *current.files;
    auto file_lock = guard(cx, files.file_lock);
    const int fd = should_fail<&fault_point::alloc_fd>(cx)
                       ? -EMFILE
                       : files.alloc_fd(0, static_cast<unsigned>(nofile), (flags & abi::o_cloexec) != 0, nr_open,
                                        files.users(cx) > 1, [&] { return should_fail<&fault_point::expand_files>(cx); });
    if (fd >= 0)
        fd_observe(cx, files, fd, true);
    file_lock.unlock();
    SOCKMODEL_TRACE_NOTE(cx, "get_unused_fd_flags", [&] {
        if (fd >= 0)
            return "alloc_fd: lowest free fd is " + to_kstring(fd);
        if (fd == -EMFILE)
            return "alloc_fd: no free fd below RLIMIT_NOFILE " + to_kstring(nofile) + " (or nr_open " +
                   to_kstring(nr_open) + ")";
        return kstring("alloc_fd: expand_files could not grow the table");
    });
    return t.ret(fd);
}

template <class K>
void put_unused_fd(context<K>& cx, int fd)
{
    auto t = trace::enter(cx, "put_unused_fd");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return to_kstring(fd); });
    files_struct& files = *cx.current.files;
    auto file_lock = guard(cx, files.file_lock);
    files.put_unused_fd(static_cast<unsigned>(fd));
    fd_observe(cx, files, fd, false);
}

// fd_install: the kernel installs under RCU unless a resize is in progress;
// the model's table can be reallocated by expand_files at any time, so it
// takes file_lock.
template <class K>
void fd_install(context<K>& cx, int fd, file* f)
{
    auto t = trace::enter(cx, "fd_install");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return to_kstring(fd); });
    files_struct& files = *cx.current.files;
    auto file_lock = guard(cx, files.file_lock);
    files.fd_install(static_cast<unsigned>(fd), f);
}

// file_close_fd: detach the file from fd under the table's lock.
template <class K>
file* file_close_fd(context<K>& cx, int fd)
{
    auto t = trace::enter(cx, "file_close_fd");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return to_kstring(fd); });
    files_struct& files = *cx.current.files;
    auto file_lock = guard(cx, files.file_lock);
    file* f = files.close_fd(fd);
    if (f)
        fd_observe(cx, files, fd, false);
    file_lock.unlock();
    return t.ret_ptr(f);
}

}  // namespace sockmodel
