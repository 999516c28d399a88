// The lock policy (opt::locking) names what a model kernel does when several
// threads make system calls on it at once, as CONFIG_SMP does for the kernel:
//
//   lock::none  (the default; lock/up.hpp) one system call at a time: every
//               primitive below is a plain load, store or add, and every lock
//               is empty.
//   lock::smp   (kernel/smp.hpp, included by the program that wants it) the
//               kernel's SMP design: atomics, spinlocks, RCU, per-CPU caches.
//
// The model's functions are written once, against the kernel's primitives
// (refcount_t, atomic_t, spinlock_t, READ_ONCE, rcu_read_lock, ...; see
// lock/atomic.hpp, lock/spinlock.hpp, lock/rcu.hpp), and each primitive asks
// the policy what it costs. Only the headers of lock/ and kernel/smp.hpp
// look at the policy; no function body does.
#pragma once

#include <type_traits>

namespace sockmodel {

template <class K>
struct context;

namespace lock {
struct none;  // lock/up.hpp
struct smp;   // kernel/smp.hpp
// A caller that knows no kernel's policy (a sysctl writer, an observer):
// the primitives as under lock::smp, safe from any thread.
struct any_thread {};
}  // namespace lock

template <class L>
inline constexpr bool is_smp = std::is_same_v<L, lock::smp>;

// The lock policy of a kernel, of a call context, or a policy itself: every
// primitive takes one of these first, as the CPU doing the work.
template <class X>
struct lock_policy_of {
    using type = typename X::lock_type;
};
template <>
struct lock_policy_of<lock::none> {
    using type = lock::none;
};
template <>
struct lock_policy_of<lock::smp> {
    using type = lock::smp;
};
template <>
struct lock_policy_of<lock::any_thread> {
    using type = lock::smp;
};
template <class K>
struct lock_policy_of<context<K>> {
    using type = typename K::lock_type;
};
template <class X>
using lock_of = typename lock_policy_of<std::remove_cvref_t<X>>::type;

template <class X>
inline constexpr bool smp_of = is_smp<lock_of<X>>;

}  // namespace sockmodel
