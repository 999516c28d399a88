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
// hooks, no BPF hook, no fault injection, BUG() throwing sockmodel::bug_error, and
// the families of default_families.hpp (when it is included; a configuration
// that names its families needs only their headers).
#pragma once

#include <sockmodel/arch/host.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/lock/policy.hpp>
#include <sockmodel/lock/up.hpp>
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
// Every option derives from opt::option and names its kind (the option
// template with its defaults) and its default: adding an option is this one
// declaration; config<...> finds it by its kind and checks it like the rest.
struct option {};

// arch::generic, mips, alpha, parisc, sparc or host (the default).
template <class A = arch::host>
struct abi : option {
    using kind = abi<>;
    using type = A;
    using default_type = arch::host;
};
// The families registered at boot, in registration order (default: the
// host's, from <sockmodel/default_families.hpp>).
template <class... F>
struct families : option {
    using kind = families<>;
    using type = family_list<F...>;
    using default_type = default_families;
};
// trace::none (the default) or trace::recorder.
template <class T = trace::none>
struct tracer : option {
    using kind = tracer<>;
    using type = T;
    using default_type = trace::none;
};
// An lsm::chain<...> (lsm::none by default).
template <class S = lsm::none>
struct security : option {
    using kind = security<>;
    using type = S;
    using default_type = lsm::none;
};
// The BPF fmod_ret hook of __sys_socket: a type with static apply(family, type, protocol).
template <class H = no_bpf_protocol_hook>
struct update_socket_protocol : option {
    using kind = update_socket_protocol<>;
    using type = H;
    using default_type = no_bpf_protocol_hook;
};
// Fault injection: fault::none (the default: compiled to nothing) or fault::inject.
template <class F = fault::none>
struct faults : option {
    using kind = faults<>;
    using type = F;
    using default_type = fault::none;
};
// What a detected kernel BUG()/WARN() does: bug_policy::throw_error
// (the default) or bug_policy::abort.
template <bug_policy P = bug_policy::throw_error>
struct on_bug : option {
    using kind = on_bug<>;
    using type = std::integral_constant<bug_policy, P>;
    using default_type = std::integral_constant<bug_policy, bug_policy::throw_error>;
};
// LSM hooks added and removed while the kernel runs (k.security_hooks;
// <sockmodel/security/hooks.hpp>), after the compile-time chain of
// opt::security. Off by default: a kernel without them has no hook lists and
// spends nothing on them (with them and none added, the cost is an
// empty-list check per hook).
template <bool On = false>
struct runtime_lsm : option {
    using kind = runtime_lsm<>;
    using type = std::bool_constant<On>;
    using default_type = std::false_type;
};
// How the kernel is locked against several threads at once (lock/policy.hpp):
// lock::none (the default: one system call at a time, no locks, no atomics)
// or lock::smp (<sockmodel/kernel/smp.hpp>: threads may call concurrently;
// per-CPU caches and counters, the fd table's file_lock, RCU-read family
// table). Not with trace::recorder.
template <class L = lock::none>
struct locking : option {
    using kind = locking<>;
    using type = L;
    using default_type = lock::none;
};
}  // namespace opt

namespace detail {
template <class O>
concept config_option = std::is_base_of_v<opt::option, O> && requires {
    typename O::kind;
    typename O::type;
    typename O::default_type;
};

template <class O>
struct option_type {
    using type = typename O::type;
};

template <class O>
struct kind_of {
    using type = void;
};
template <config_option O>
struct kind_of<O> {
    using type = typename O::kind;
};

// The type of the option of kind Kind in Options..., or Kind's default.
template <class Kind, class... Options>
struct option_or {
    using type = typename Kind::default_type;
};
template <class Kind, class O, class... Rest>
struct option_or<Kind, O, Rest...> {
    using type = typename std::conditional_t<std::is_same_v<typename kind_of<O>::type, Kind>, option_type<O>,
                                             option_or<Kind, Rest...>>::type;
};

template <class Kind, class... Options>
constexpr int count_of() { return ((std::is_same_v<typename kind_of<Options>::type, Kind> ? 1 : 0) + ... + 0); }
}  // namespace detail

// The option of kind Kind (an opt:: template with its defaults, opt::abi<>) in
// a configuration's options, or its default.
template <class Kind, class... Options>
using option_t = typename detail::option_or<Kind, Options...>::type;

template <class... Options>
struct config {
    static constexpr bool options_known = (detail::config_option<Options> && ...);
    static constexpr bool options_once = [] {
        if constexpr (options_known)
            return ((detail::count_of<typename Options::kind, Options...>() == 1) && ...);
        else
            return true;
    }();
    // The checks run in a function body, so that a failed one leaves the
    // members below usable and the compiler says nothing more.
    static constexpr bool valid = [] {
        static_assert(options_known,
                      "sockmodel::config: an option is not a sockmodel::opt option (opt::abi, families, tracer, "
                      "security, update_socket_protocol, faults, on_bug, runtime_lsm, locking; the kernel's "
                      "Kconfig knows no such symbol): check its spelling");
        static_assert(options_once, "sockmodel::config: an option is given twice: keep one of them");
        return options_known && options_once;
    }();

    template <class Kind>
    using get = option_t<Kind, Options...>;

    using abi = get<opt::abi<>>;
    using families = get<opt::families<>>;
    using tracer = get<opt::tracer<>>;
    using security = get<opt::security<>>;
    using update_socket_protocol = get<opt::update_socket_protocol<>>;
    using faults = get<opt::faults<>>;
    static constexpr bug_policy on_bug = get<opt::on_bug<>>::value;
    static constexpr bool runtime_lsm = get<opt::runtime_lsm<>>::value;
    using locking = get<opt::locking<>>;
};

using default_config = config<>;

// Is C a configuration built by config<...>? A struct derived from one is
// not: its added members would be silently ignored.
template <class C>
inline constexpr bool is_config = false;
template <class... O>
inline constexpr bool is_config<config<O...>> = true;

// The boot-time checks of a configuration, each with its message.
template <class Config>
struct checked_config {
    static_assert(is_config<Config>,
                  "kernel<Config>: Config must be sockmodel::config<options...>; a struct derived from a config "
                  "would have its added members ignored (write config<opt::tracer<...>, ...> instead)");
    static constexpr bool options_ok = [] {
        if constexpr (is_config<Config>)
            return Config::valid;  // its static_asserts say what is wrong
        else
            return false;
    }();
    static_assert(detail::complete_type<typename Config::families>,
                  "kernel<Config>: the configuration names no families and <sockmodel/default_families.hpp> is not "
                  "included: include it, or name them with opt::families<...>");
    static_assert(detail::complete_if_needed<is_smp<typename Config::locking>, typename Config::locking>,
                  "kernel<Config>: opt::locking<lock::smp> needs the SMP primitives: #include "
                  "<sockmodel/kernel/smp.hpp> (a lock::none program does not parse <thread> and the rest)");
    static_assert(detail::complete_if_needed<Config::runtime_lsm, lsm::hook_heads<typename Config::locking>>,
                  "kernel<Config>: opt::runtime_lsm<true> needs the hook lists: #include "
                  "<sockmodel/security/hooks.hpp>");
    static_assert(!is_smp<typename Config::locking> || !std::is_same_v<typename Config::tracer, trace::recorder>,
                  "kernel<Config>: opt::locking<lock::smp> with opt::tracer<trace::recorder>: the recorder keeps one "
                  "trace for one system call at a time and is not thread-safe (the kernel's ftrace buffers are per "
                  "CPU; the model's is not): trace a lock::none kernel, or leave the tracer out");
    // Naming options_ok here instantiates it, and with it the option checks.
    static constexpr bool value = sizeof(std::bool_constant<options_ok>) > 0;
};

}  // namespace sockmodel
