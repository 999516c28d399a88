// include/linux/spinlock.h, mutex.h, rwlock.h and seqlock.h as the lock
// policy prices them. The lock objects always exist (a word each, as
// spinlock_t does in a uniprocessor kernel with debugging off); taking one
// under lock::none does nothing, under lock::smp it is the real lock.
//
//     auto g = guard(cx, files.file_lock);           // spin_lock ... spin_unlock
//     auto g = read_guard(cx, state.nl_table_lock);  // read_lock ... read_unlock
//
// Spinning pauses (cpu_relax) with exponential backoff and then yields the
// CPU, so that a lock holder preempted on a small VM is not starved by
// waiters spinning on its vCPU's sibling.
#pragma once

#include <sockmodel/lock/policy.hpp>

#include <sched.h>

namespace sockmodel {

namespace detail {
inline void cpu_relax() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// One round of waiting: pause 1, 2, 4, ... 64 times, then give the CPU away.
class backoff {
public:
    void wait() noexcept
    {
        if (n_ <= 64) {
            for (unsigned i = 0; i < n_; ++i)
                cpu_relax();
            n_ *= 2;
        } else {
            ::sched_yield();
        }
    }

private:
    unsigned n_ = 1;
};
}  // namespace detail

// spinlock_t: test-and-test-and-set.
struct spinlock_t {
    int locked = 0;

    void lock() noexcept
    {
        detail::backoff b;
        while (__atomic_exchange_n(&locked, 1, __ATOMIC_ACQUIRE))
            while (__atomic_load_n(&locked, __ATOMIC_RELAXED))
                b.wait();
    }
    bool try_lock() noexcept { return !__atomic_exchange_n(&locked, 1, __ATOMIC_ACQUIRE); }
    void unlock() noexcept { __atomic_store_n(&locked, 0, __ATOMIC_RELEASE); }
};

// struct mutex: a sleeping lock in the kernel, taken where the holder may
// block (registration, module loading); here a spinlock that yields soon.
struct mutex : spinlock_t {};

// rwlock_t / rw_semaphore: many readers or one writer. -1 while a writer holds it.
struct rwlock_t {
    int state = 0;

    void lock() noexcept
    {
        detail::backoff b;
        int free = 0;
        while (!__atomic_compare_exchange_n(&state, &free, -1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            free = 0;
            b.wait();
        }
    }
    void unlock() noexcept { __atomic_store_n(&state, 0, __ATOMIC_RELEASE); }
    void lock_shared() noexcept
    {
        detail::backoff b;
        int s = __atomic_load_n(&state, __ATOMIC_RELAXED);
        for (;;) {
            if (s >= 0 && __atomic_compare_exchange_n(&state, &s, s + 1, true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                return;
            if (s < 0) {
                b.wait();
                s = __atomic_load_n(&state, __ATOMIC_RELAXED);
            }
        }
    }
    void unlock_shared() noexcept { __atomic_sub_fetch(&state, 1, __ATOMIC_RELEASE); }
};
using rw_semaphore = rwlock_t;

// Holds a lock for a scope under lock::smp; nothing under lock::none.
template <class L, class Lock, bool Shared = false>
class [[nodiscard]] lock_guard {
public:
    explicit lock_guard(Lock& l) noexcept : l_(&l)
    {
        if constexpr (is_smp<L>) {
            if constexpr (Shared)
                l_->lock_shared();
            else
                l_->lock();
        }
    }
    lock_guard(const lock_guard&) = delete;
    lock_guard& operator=(const lock_guard&) = delete;
    ~lock_guard() { unlock(); }

    // spin_unlock before the end of the scope.
    void unlock() noexcept
    {
        if constexpr (is_smp<L>) {
            if (!l_)
                return;
            if constexpr (Shared)
                l_->unlock_shared();
            else
                l_->unlock();
        }
        l_ = nullptr;
    }

private:
    Lock* l_;
};

// spin_lock / mutex_lock / write_lock for the rest of the scope.
template <class X, class Lock>
inline lock_guard<lock_of<X>, Lock> guard(const X&, Lock& l) noexcept
{
    return lock_guard<lock_of<X>, Lock>(l);
}
// read_lock / down_read for the rest of the scope.
template <class X, class Lock>
inline lock_guard<lock_of<X>, Lock, true> read_guard(const X&, Lock& l) noexcept
{
    return lock_guard<lock_of<X>, Lock, true>(l);
}

// seqcount_t with its writers' spinlock (seqlock_t): readers retry while a
// writer was inside. Under lock::none the read runs once.
struct seqlock_t {
    unsigned sequence = 0;
    spinlock_t lock;
};

template <class X>
inline unsigned read_seqbegin(const X&, const seqlock_t& sl) noexcept
{
    if constexpr (smp_of<X>) {
        detail::backoff b;
        for (;;) {
            const unsigned s = __atomic_load_n(&sl.sequence, __ATOMIC_ACQUIRE);
            if (!(s & 1))
                return s;
            b.wait();
        }
    } else {
        return 0;
    }
}
template <class X>
inline bool read_seqretry(const X&, const seqlock_t& sl, unsigned start) noexcept
{
    if constexpr (smp_of<X>) {
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        return __atomic_load_n(&sl.sequence, __ATOMIC_RELAXED) != start;
    } else {
        return false;
    }
}
// write_seqlock / write_sequnlock: always real, as writers (sysctl writes)
// may come from any thread whatever the policy of the kernel's readers.
inline void write_seqlock(seqlock_t& sl) noexcept
{
    sl.lock.lock();
    __atomic_store_n(&sl.sequence, sl.sequence + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}
inline void write_sequnlock(seqlock_t& sl) noexcept
{
    __atomic_store_n(&sl.sequence, sl.sequence + 1, __ATOMIC_RELEASE);
    sl.lock.unlock();
}

}  // namespace sockmodel
