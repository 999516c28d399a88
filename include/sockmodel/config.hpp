// What a model kernel fixes at build time, as a pack of named options in the
// style of Boost.Intrusive's pack_options:
//
//     using traced = sockmodel::config<sockmodel::opt::tracer<sockmodel::trace::recorder>,
//                                      sockmodel::opt::abi<sockmodel::arch::mips>>;
//     sockmodel::kernel<traced> k;
//
// An option that is not one of opt::*, or one given twice, stops the build
// with a message; a misspelt option does not name a type. Options left out
// take their defaults: the host's ABI, no tracing, no LSM, no run-time LSM
// hooks, no BPF hook, no fault injection, BUG() throwing std::logic_error, and
// the families of default_families.hpp (when it is included; a configuration
// that names its families needs only their headers).
#pragma once

#include <sockmodel/arch/host.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/kernel/smp.hpp>
#include <sockmodel/linux/err.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/security/security.hpp>
#include <sockmodel/trace/trace.hpp>

#include <type_traits>

namespace sockmodel {

// The default update_socket_protocol: no BPF program attached.
struct no_bpf_protocol_hook {
    static constexpr int apply(int, int, int protocol) { return protocol; }
};

// The families a configuration gets when it names none; defined by
// <sockmodel/default_families.hpp>.
struct default_families;

namespace opt {
enum class kind { abi, families, tracer, security, update_socket_protocol, faults, on_bug, runtime_lsm, locking };

// arch::generic, mips, alpha, parisc, sparc or host (the default).
template <class A>
struct abi {
    static constexpr kind option = kind::abi;
    using type = A;
};
// The families registered at boot, in registration order.
template <class... F>
struct families {
    static constexpr kind option = kind::families;
    using type = family_list<F...>;
};
// trace::none (the default) or trace::recorder.
template <class T>
struct tracer {
    static constexpr kind option = kind::tracer;
    using type = T;
};
// An lsm::chain<...> (lsm::none by default).
template <class S>
struct security {
    static constexpr kind option = kind::security;
    using type = S;
};
// The BPF fmod_ret hook of __sys_socket: a type with static apply(family, type, protocol).
template <class H>
struct update_socket_protocol {
    static constexpr kind option = kind::update_socket_protocol;
    using type = H;
};
// Fault injection: fault::none (the default: compiled to nothing) or fault::inject.
template <class F>
struct faults {
    static constexpr kind option = kind::faults;
    using type = F;
};
// What a detected kernel BUG()/WARN() does: bug_policy::throw_logic_error
// (the default) or bug_policy::abort.
template <bug_policy P>
struct on_bug {
    static constexpr kind option = kind::on_bug;
    using type = std::integral_constant<bug_policy, P>;
};
// LSM hooks added and removed while the kernel runs (k.security_hooks), after
// the compile-time chain of opt::security. Off by default: a kernel without
// them has no hook lists and spends nothing on them (with them and none added,
// the cost is an empty-list check per hook).
template <bool On>
struct runtime_lsm {
    static constexpr kind option = kind::runtime_lsm;
    using type = std::bool_constant<On>;
};
// How the kernel is locked against several threads at once (kernel/smp.hpp):
// lock::none (the default: one system call at a time, no locks, no atomics)
// or lock::smp (threads may call concurrently; per-CPU caches and counters,
// the fd table's file_lock, RCU-read family table). Not with trace::recorder.
template <class L>
struct locking {
    static constexpr kind option = kind::locking;
    using type = L;
};
}  // namespace opt

namespace detail {
template <class O>
concept config_option = requires {
    { O::option } -> std::convertible_to<opt::kind>;
    typename O::type;
};

// What an option says, read so that a non-option only fails the static_assert
// of config (no follow-on errors).
template <class O>
constexpr bool is_kind(opt::kind k)
{
    if constexpr (config_option<O>)
        return O::option == k;
    else
        return false;
}
template <class O>
struct option_type {
    using type = void;
};
template <config_option O>
struct option_type<O> {
    using type = typename O::type;
};

// The type of the option of kind K in Options..., or Default.
template <opt::kind K, class Default, class... Options>
struct option_or {
    using type = Default;
};
template <opt::kind K, class Default, class O, class... Rest>
struct option_or<K, Default, O, Rest...> {
    using type = std::conditional_t<is_kind<O>(K), typename option_type<O>::type,
                                    typename option_or<K, Default, Rest...>::type>;
};

template <opt::kind K, class... Options>
constexpr int count_of() { return ((is_kind<Options>(K) ? 1 : 0) + ... + 0); }
}  // namespace detail

template <class... Options>
struct config {
    static constexpr bool options_known = (detail::config_option<Options> && ...);
    static constexpr bool options_once = [] {
        if constexpr (options_known)
            return ((detail::count_of<Options::option, Options...>() == 1) && ...);
        else
            return true;
    }();
    // The checks run in a function body, so that a failed one leaves the
    // members below usable and the compiler says nothing more.
    static constexpr bool valid = [] {
        static_assert(options_known,
                      "sockmodel::config: an option is not one of sockmodel::opt::abi, families, tracer, security, "
                      "update_socket_protocol, faults, on_bug, runtime_lsm or locking (the kernel's Kconfig knows no such symbol): check its spelling");
        static_assert(options_once, "sockmodel::config: an option is given twice: keep one of them");
        return options_known && options_once;
    }();

    using abi = typename detail::option_or<opt::kind::abi, arch::host, Options...>::type;
    using families = typename detail::option_or<opt::kind::families, default_families, Options...>::type;
    using tracer = typename detail::option_or<opt::kind::tracer, trace::none, Options...>::type;
    using security = typename detail::option_or<opt::kind::security, lsm::none, Options...>::type;
    using update_socket_protocol =
        typename detail::option_or<opt::kind::update_socket_protocol, no_bpf_protocol_hook, Options...>::type;
    using faults = typename detail::option_or<opt::kind::faults, fault::none, Options...>::type;
    static constexpr bug_policy on_bug =
        detail::option_or<opt::kind::on_bug, std::integral_constant<bug_policy, bug_policy::throw_logic_error>,
                          Options...>::type::value;
    static constexpr bool runtime_lsm =
        detail::option_or<opt::kind::runtime_lsm, std::false_type, Options...>::type::value;
    using locking = typename detail::option_or<opt::kind::locking, lock::none, Options...>::type;
};

using default_config = config<>;

// Is C a configuration built by config<...>? A struct derived from one is
// not: its added members would be silently ignored.
template <class C>
inline constexpr bool is_config = false;
template <class... O>
inline constexpr bool is_config<config<O...>> = true;

}  // namespace sockmodel
