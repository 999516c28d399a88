// include/linux/atomic.h, refcount.h and compiler.h's READ_ONCE/WRITE_ONCE as
// the lock policy prices them. Every shared count in the model is one of these
// types: it has no operators, so a bare ++ on it does not compile, and the
// one body that changes it says which primitive it means.
//
// Under lock::none each operation is the plain load, store or add; under
// lock::smp it is the atomic the kernel uses (GCC/Clang __atomic builtins:
// no <atomic>, and they work with every standard library).
#pragma once

#include <sockmodel/lock/policy.hpp>

namespace sockmodel {

// atomic_t / atomic_long_t.
template <class T>
struct basic_atomic {
    T counter = 0;
};
using atomic_t = basic_atomic<int>;
using atomic_long_t = basic_atomic<long>;

// refcount_t: a count of references whose last put frees the object.
struct refcount_t {
    int refs = 0;
};

// smp_load_acquire / smp_store_release (rcu_dereference and
// rcu_assign_pointer are these on a pointer).
template <class X, class T>
inline T load_acquire(const X&, const T& field) noexcept
{
    if constexpr (smp_of<X>) {
        T v;
        __atomic_load(&field, &v, __ATOMIC_ACQUIRE);  // the generic form: enums too
        return v;
    } else {
        return field;
    }
}
template <class X, class T, class U>
inline void store_release(const X&, T& field, U value) noexcept
{
    if constexpr (smp_of<X>) {
        T v = static_cast<T>(value);
        __atomic_store(&field, &v, __ATOMIC_RELEASE);
    } else {
        field = static_cast<T>(value);
    }
}

template <class X, class T>
inline T atomic_read(const X&, const basic_atomic<T>& v) noexcept
{
    if constexpr (smp_of<X>)
        return __atomic_load_n(&v.counter, __ATOMIC_RELAXED);
    else
        return v.counter;
}
template <class X, class T>
inline void atomic_set(const X&, basic_atomic<T>& v, T n) noexcept
{
    if constexpr (smp_of<X>)
        __atomic_store_n(&v.counter, n, __ATOMIC_RELAXED);
    else
        v.counter = n;
}
// atomic_add_return (fully ordered in the kernel; relaxed is what the model's
// counters need: nothing is published through them).
template <class X, class T>
inline T atomic_add_return(const X&, basic_atomic<T>& v, T d) noexcept
{
    if constexpr (smp_of<X>)
        return __atomic_add_fetch(&v.counter, d, __ATOMIC_RELAXED);
    else
        return v.counter += d;
}
template <class X, class T>
inline void atomic_add(const X& x, basic_atomic<T>& v, T d) noexcept
{
    (void)atomic_add_return(x, v, d);
}
template <class X, class T>
inline void atomic_inc(const X& x, basic_atomic<T>& v) noexcept
{
    atomic_add(x, v, T{1});
}
template <class X, class T>
inline void atomic_dec(const X& x, basic_atomic<T>& v) noexcept
{
    atomic_add(x, v, T{-1});
}
// atomic_dec_and_test: true for the decrement that reached zero (acquire on
// that path, release before: what a last put needs).
template <class X, class T>
inline bool atomic_dec_and_test(const X&, basic_atomic<T>& v) noexcept
{
    if constexpr (smp_of<X>)
        return __atomic_sub_fetch(&v.counter, T{1}, __ATOMIC_ACQ_REL) == 0;
    else
        return --v.counter == 0;
}

// atomic_try_cmpxchg: if v holds `old`, store `next` and return true; else
// load what it holds into `old` and return false.
template <class X, class T>
inline bool atomic_try_cmpxchg(const X&, basic_atomic<T>& v, T& old, T next) noexcept
{
    if constexpr (smp_of<X>) {
        return __atomic_compare_exchange_n(&v.counter, &old, next, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    } else {
        if (v.counter != old) {
            old = v.counter;
            return false;
        }
        v.counter = next;
        return true;
    }
}
// atomic_long_fetch_add: the value before the add.
template <class X, class T>
inline T atomic_fetch_add(const X&, basic_atomic<T>& v, T d) noexcept
{
    if constexpr (smp_of<X>) {
        return __atomic_fetch_add(&v.counter, d, __ATOMIC_RELAXED);
    } else {
        const T old = v.counter;
        v.counter += d;
        return old;
    }
}
// atomic_set_release / atomic_read_acquire.
template <class X, class T>
inline void atomic_set_release(const X& x, basic_atomic<T>& v, T n) noexcept
{
    store_release(x, v.counter, n);
}
template <class X, class T>
inline T atomic_read_acquire(const X& x, const basic_atomic<T>& v) noexcept
{
    return load_acquire(x, v.counter);
}

// refcount_set / refcount_read / refcount_inc / refcount_dec_and_test /
// refcount_inc_not_zero / __sock_put's plain refcount_dec.
template <class X>
inline void refcount_set(const X&, refcount_t& r, int n) noexcept
{
    if constexpr (smp_of<X>)
        __atomic_store_n(&r.refs, n, __ATOMIC_RELAXED);
    else
        r.refs = n;
}
template <class X>
inline int refcount_read(const X&, const refcount_t& r) noexcept
{
    if constexpr (smp_of<X>)
        return __atomic_load_n(&r.refs, __ATOMIC_RELAXED);
    else
        return r.refs;
}
// Without a policy: a snapshot for observers (tests, counters()).
inline int refcount_read(const refcount_t& r) noexcept { return __atomic_load_n(&r.refs, __ATOMIC_RELAXED); }

template <class X>
inline void refcount_inc(const X&, refcount_t& r) noexcept
{
    if constexpr (smp_of<X>)
        __atomic_add_fetch(&r.refs, 1, __ATOMIC_RELAXED);
    else
        ++r.refs;
}
template <class X>
inline bool refcount_dec_and_test(const X&, refcount_t& r) noexcept
{
    if constexpr (smp_of<X>) {
        // Release for every put, acquire for the last: the freeing side sees
        // every earlier put's writes. One acq_rel RMW (the same locked
        // instruction on x86) rather than a release RMW and an acquire fence,
        // which ThreadSanitizer does not model.
        return __atomic_sub_fetch(&r.refs, 1, __ATOMIC_ACQ_REL) == 0;
    } else {
        return --r.refs == 0;
    }
}
// refcount_dec: a put that is never the last (__sock_put).
template <class X>
inline void refcount_dec(const X&, refcount_t& r) noexcept
{
    if constexpr (smp_of<X>)
        __atomic_sub_fetch(&r.refs, 1, __ATOMIC_RELEASE);
    else
        --r.refs;
}
template <class X>
inline bool refcount_inc_not_zero(const X&, refcount_t& r) noexcept
{
    if constexpr (smp_of<X>) {
        int old = __atomic_load_n(&r.refs, __ATOMIC_RELAXED);
        do {
            if (old == 0)
                return false;
        } while (!__atomic_compare_exchange_n(&r.refs, &old, old + 1, true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
        return true;
    } else {
        if (r.refs == 0)
            return false;
        ++r.refs;
        return true;
    }
}

// READ_ONCE / WRITE_ONCE of a plain field another CPU may be writing (a
// sysctl, an rlimit): one whole load or store, never torn or repeated.
template <class X, class T>
inline T read_once(const X&, const T& field) noexcept
{
    if constexpr (smp_of<X>) {
        T v;
        __atomic_load(&field, &v, __ATOMIC_RELAXED);
        return v;
    } else {
        return field;
    }
}
template <class X, class T, class U>
inline void write_once(const X&, T& field, U value) noexcept
{
    if constexpr (smp_of<X>) {
        T v = static_cast<T>(value);
        __atomic_store(&field, &v, __ATOMIC_RELAXED);
    } else {
        field = static_cast<T>(value);
    }
}

}  // namespace sockmodel
