// Fault injection as a compile-time policy, in the spirit of the kernel's
// lib/fault-inject.c (should_fail) and mm/failslab.c: a named point at every
// place the socket()/close() path can fail, and a policy that decides, at run
// time, which call at which point fails.
//
//     using cfg = sockmodel::config<sockmodel::opt::faults<sockmodel::fault::inject>>;
//     sockmodel::kernel<cfg> k;
//     k.faults.fail_nth(sockmodel::fault_point::sock_alloc, 1);   // the next sock_alloc fails
//
// fault::none (the default) holds no state and its should_fail is a constant
// false folded away at compile time: no branch, no counter. Asking it to
// inject does not compile (it says so).
//
// The close side has no point: close(2) → filp_flush calls ->flush, which
// socket_file_ops leaves NULL, and __fput → sock_close cannot fail (it
// returns 0 whatever the family's release says), so nothing there fails.
#pragma once

#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace sockmodel {

// Every place the path can fail, in the order socket() reaches them.
enum class fault_point : unsigned char {
    security_socket_create,       // the LSM denies the request
    sock_alloc,                   // sock_inode_cache is out of objects
    pf_module_get,                // try_module_get(pf->owner) in __sock_create
    unix_nr_socks,                // unix_create1: unix_nr_socks above 2 * file-max
    netlink_module_get,           // netlink_create: try_module_get(nl_table[protocol].module)
    sk_prot_alloc,                // sk_prot_alloc: the proto's slab is out of objects
    prot_module_get,              // sk_prot_alloc: try_module_get(prot->owner)
    packet_alloc_pending,         // packet_create: packet_alloc_pending's per-CPU counters
    proto_init,                   // inet_create/inet6_create: prot->init refuses
    ops_module_get,               // try_module_get(sock->ops->owner) in __sock_create
    security_socket_post_create,  // the LSM denies the new socket
    alloc_fd,                     // get_unused_fd_flags → alloc_fd: no free fd (RLIMIT_NOFILE)
    expand_files,                 // alloc_fd → expand_files: the bigger table cannot be allocated
    d_alloc_pseudo,               // alloc_file_pseudo: no dentry
    file_max,                     // alloc_empty_file: nr_files at fs.file-max
    filp_cache,                   // alloc_empty_file: filp_cachep is out of objects
};

struct fault_point_info {
    fault_point point;
    std::string_view name;  // what --inject and the tests call it
    std::string_view fn;    // the kernel function the point is in (its trace notes go there)
    std::string_view what;  // what fails there
    int err;                // the errno the failing step itself produces (the caller may translate it)
};

inline constexpr std::array<fault_point_info, 16> fault_points{{
    {.point = fault_point::security_socket_create, .name = "security_socket_create", .fn = "security_socket_create",
     .what = "the LSM denies socket_create", .err = -EACCES},
    {.point = fault_point::sock_alloc, .name = "sock_alloc", .fn = "sock_alloc",
     .what = "sock_inode_cache: kmem_cache_alloc returns NULL", .err = -ENFILE},
    {.point = fault_point::pf_module_get, .name = "pf_module_get", .fn = "__sock_create",
     .what = "try_module_get(pf->owner) fails", .err = -EAFNOSUPPORT},
    {.point = fault_point::unix_nr_socks, .name = "unix_nr_socks", .fn = "unix_create1",
     .what = "unix_nr_socks > 2 * get_max_files()", .err = -ENFILE},
    {.point = fault_point::netlink_module_get, .name = "netlink_module_get", .fn = "netlink_create",
     .what = "try_module_get(nl_table[protocol].module) fails", .err = -EPROTONOSUPPORT},
    {.point = fault_point::sk_prot_alloc, .name = "sk_prot_alloc", .fn = "sk_prot_alloc",
     .what = "the proto's slab: kmem_cache_alloc returns NULL", .err = -ENOMEM},
    {.point = fault_point::prot_module_get, .name = "prot_module_get", .fn = "sk_prot_alloc",
     .what = "try_module_get(prot->owner) fails", .err = -ENOMEM},
    {.point = fault_point::packet_alloc_pending, .name = "packet_alloc_pending", .fn = "packet_create",
     .what = "packet_alloc_pending: alloc_percpu returns NULL", .err = -ENOBUFS},
    {.point = fault_point::proto_init, .name = "proto_init", .fn = "",
     .what = "sk->sk_prot->init returns -ENOMEM", .err = -ENOMEM},
    {.point = fault_point::ops_module_get, .name = "ops_module_get", .fn = "__sock_create",
     .what = "try_module_get(sock->ops->owner) fails", .err = -EAFNOSUPPORT},
    {.point = fault_point::security_socket_post_create, .name = "security_socket_post_create",
     .fn = "security_socket_post_create", .what = "the LSM denies socket_post_create", .err = -EACCES},
    {.point = fault_point::alloc_fd, .name = "alloc_fd", .fn = "get_unused_fd_flags",
     .what = "alloc_fd: no free fd below RLIMIT_NOFILE", .err = -EMFILE},
    {.point = fault_point::expand_files, .name = "expand_files", .fn = "get_unused_fd_flags",
     .what = "expand_files: alloc_fdtable returns NULL", .err = -ENOMEM},
    {.point = fault_point::d_alloc_pseudo, .name = "d_alloc_pseudo", .fn = "alloc_file_pseudo",
     .what = "d_alloc_pseudo returns NULL", .err = -ENOMEM},
    {.point = fault_point::file_max, .name = "file_max", .fn = "alloc_empty_file",
     .what = "nr_files >= fs.file-max", .err = -ENFILE},
    {.point = fault_point::filp_cache, .name = "filp_cache", .fn = "alloc_empty_file",
     .what = "filp_cachep: kmem_cache_alloc returns NULL", .err = -ENOMEM},
}};

inline constexpr std::size_t fault_point_count = fault_points.size();

constexpr bool fault_table_in_order()
{
    for (std::size_t i = 0; i < fault_points.size(); ++i)
        if (static_cast<std::size_t>(fault_points[i].point) != i)
            return false;
    return true;
}
static_assert(fault_table_in_order(), "fault_points: one entry per fault_point, in the enumeration's order");

constexpr const fault_point_info& fault_info(fault_point p) { return fault_points[static_cast<std::size_t>(p)]; }
constexpr std::string_view fault_point_name(fault_point p) { return fault_info(p).name; }
constexpr std::optional<fault_point> fault_point_from_name(std::string_view name)
{
    for (const auto& i : fault_points)
        if (i.name == name)
            return i.point;
    return std::nullopt;
}

namespace fault {

template <class...>
inline constexpr bool always_false = false;

// The default policy: no fault injection compiled in (CONFIG_FAULT_INJECTION=n).
struct none {
    template <class... A>
    void fail_nth(A&&...)
    {
        static_assert(always_false<A...>, "fault injection is off in this kernel's configuration (CONFIG_FAULT_"
                                          "INJECTION=n): add opt::faults<fault::inject> to its config<...>");
    }
    template <class... A>
    void fail_always(A&&...)
    {
        static_assert(always_false<A...>, "fault injection is off in this kernel's configuration (CONFIG_FAULT_"
                                          "INJECTION=n): add opt::faults<fault::inject> to its config<...>");
    }
    template <class... A>
    void fail_probability(A&&...)
    {
        static_assert(always_false<A...>, "fault injection is off in this kernel's configuration (CONFIG_FAULT_"
                                          "INJECTION=n): add opt::faults<fault::inject> to its config<...>");
    }
};

// Deterministic injection, per point: fail the Nth call from now (once),
// every call, or each call with a probability drawn from a seeded generator.
// Every call that reaches a point is counted (passes), injected or not.
class inject {
public:
    // The n-th call from now at p fails (n >= 1), then p behaves again.
    void fail_nth(fault_point p, unsigned long n)
    {
        rule& r = at(p);
        r = {};
        r.mode = how::nth;
        r.nth = n;
    }
    void fail_always(fault_point p)
    {
        rule& r = at(p);
        r = {};
        r.mode = how::always;
    }
    // Each call fails with probability per_million / 1e6, from a splitmix64
    // generator seeded with `seed` (the same seed gives the same failures).
    void fail_probability(fault_point p, std::uint32_t per_million, std::uint64_t seed)
    {
        rule& r = at(p);
        r = {};
        r.mode = how::random;
        r.per_million = per_million;
        r.state = seed;
    }
    void clear(fault_point p) { at(p) = {}; }
    void clear()
    {
        for (rule& r : rules_)
            r = {};
        passes_ = {};
        injected_ = {};
    }

    unsigned long passes(fault_point p) const { return passes_[static_cast<std::size_t>(p)]; }
    unsigned long injected(fault_point p) const { return injected_[static_cast<std::size_t>(p)]; }
    void reset_counts()
    {
        passes_ = {};
        injected_ = {};
    }

    // should_fail: count the pass, then decide.
    bool should_fail(fault_point p)
    {
        const std::size_t i = static_cast<std::size_t>(p);
        ++passes_[i];
        rule& r = rules_[i];
        bool fail = false;
        switch (r.mode) {
        case how::off: break;
        case how::nth:
            if (--r.nth == 0) {
                fail = true;
                r.mode = how::off;
            }
            break;
        case how::always: fail = true; break;
        case how::random: fail = next(r.state) % 1000000U < r.per_million; break;
        }
        if (fail)
            ++injected_[i];
        return fail;
    }

private:
    enum class how : unsigned char { off, nth, always, random };
    struct rule {
        how mode = how::off;
        unsigned long nth = 0;
        std::uint32_t per_million = 0;
        std::uint64_t state = 0;
    };
    static std::uint64_t next(std::uint64_t& s)
    {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    rule& at(fault_point p) { return rules_[static_cast<std::size_t>(p)]; }

    std::array<rule, fault_point_count> rules_{};
    std::array<unsigned long, fault_point_count> passes_{};
    std::array<unsigned long, fault_point_count> injected_{};
};

// fault::inject as a kernel with opt::locking<lock::smp> holds it (the kernel
// picks it; the configuration still names fault::inject): the same rules and
// answers, safe to arm, clear and reach from several threads at once, as
// lib/fault-inject.c keeps fault_attr's times and space in atomic_t:
//   - a point's rule is one atomic word (what kind, and the calls left or the
//     probability), so arming is one store and a call sees the old rule or
//     the new one, never half of each;
//   - "fail the Nth call" counts down with compare-and-swap: of all the calls
//     from all threads, exactly the Nth fails, once;
//   - the seeded draws advance one atomic splitmix64 state (fetch_add of its
//     increment): N calls from any threads use exactly the first N numbers of
//     the seed's sequence, so they inject exactly as many failures as N calls
//     from one thread would (which call gets which number depends on timing);
//   - passes and injected are atomic counters (relaxed).
class inject_smp {
public:
    void fail_nth(fault_point p, unsigned long n) { arm(p, how::nth, n & payload_mask); }
    void fail_always(fault_point p) { arm(p, how::always, 0); }
    void fail_probability(fault_point p, std::uint32_t per_million, std::uint64_t seed)
    {
        const std::size_t i = static_cast<std::size_t>(p);
        state_[i].store(seed, std::memory_order_relaxed);  // published by the rule's release store
        arm(p, how::random, per_million);
    }
    void clear(fault_point p) { rules_[static_cast<std::size_t>(p)].store(0, std::memory_order_release); }
    void clear()
    {
        for (auto& r : rules_)
            r.store(0, std::memory_order_release);
        reset_counts();
    }

    unsigned long passes(fault_point p) const
    {
        return passes_[static_cast<std::size_t>(p)].load(std::memory_order_relaxed);
    }
    unsigned long injected(fault_point p) const
    {
        return injected_[static_cast<std::size_t>(p)].load(std::memory_order_relaxed);
    }
    void reset_counts()
    {
        for (auto& c : passes_)
            c.store(0, std::memory_order_relaxed);
        for (auto& c : injected_)
            c.store(0, std::memory_order_relaxed);
    }

    bool should_fail(fault_point p)
    {
        const std::size_t i = static_cast<std::size_t>(p);
        passes_[i].fetch_add(1, std::memory_order_relaxed);
        std::uint64_t r = rules_[i].load(std::memory_order_acquire);
        bool fail = false;
        switch (static_cast<how>(r >> payload_bits)) {
        case how::off: break;
        case how::nth:
            // atomic_dec_and_test on the calls left, as one CAS with the kind:
            // the call that takes it from 1 to 0 fails and turns the rule off.
            for (;;) {
                const std::uint64_t left = r & payload_mask;
                const std::uint64_t next = left <= 1 ? 0 : r - 1;
                if (rules_[i].compare_exchange_weak(r, next, std::memory_order_acq_rel, std::memory_order_acquire)) {
                    fail = left == 1;
                    break;
                }
                if (static_cast<how>(r >> payload_bits) != how::nth)
                    return should_fail_rearmed(i, r);
            }
            break;
        case how::always: fail = true; break;
        case how::random: fail = draw(i) % 1000000U < (r & payload_mask); break;
        }
        if (fail)
            injected_[i].fetch_add(1, std::memory_order_relaxed);
        return fail;
    }

private:
    enum class how : unsigned char { off, nth, always, random };
    static constexpr unsigned payload_bits = 62;
    static constexpr std::uint64_t payload_mask = (std::uint64_t{1} << payload_bits) - 1;

    void arm(fault_point p, how h, std::uint64_t payload)
    {
        rules_[static_cast<std::size_t>(p)].store((static_cast<std::uint64_t>(h) << payload_bits) | payload,
                                                  std::memory_order_release);
    }
    // The rule changed under the countdown (re-armed or cleared by another
    // thread): this call obeys the new one (its pass is already counted).
    bool should_fail_rearmed(std::size_t i, std::uint64_t r)
    {
        bool fail = false;
        switch (static_cast<how>(r >> payload_bits)) {
        case how::always: fail = true; break;
        case how::random: fail = draw(i) % 1000000U < (r & payload_mask); break;
        default: break;  // off; a fresh nth rule counts from the next call
        }
        if (fail)
            injected_[i].fetch_add(1, std::memory_order_relaxed);
        return fail;
    }
    // splitmix64 with its state advanced atomically.
    std::uint64_t draw(std::size_t i)
    {
        std::uint64_t z = state_[i].fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed) + 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    std::array<std::atomic<std::uint64_t>, fault_point_count> rules_{};
    std::array<std::atomic<std::uint64_t>, fault_point_count> state_{};
    std::array<std::atomic<unsigned long>, fault_point_count> passes_{};
    std::array<std::atomic<unsigned long>, fault_point_count> injected_{};
};

template <class F>
inline constexpr bool enabled = !std::is_same_v<F, none>;

// The policy a kernel holds: fault::inject becomes inject_smp under lock::smp.
template <class F, bool Locked>
struct for_locking {
    using type = F;
};
template <>
struct for_locking<inject, true> {
    using type = inject_smp;
};

}  // namespace fault

// should_fail at point p for the kernel of this call context: false, at
// compile time, when the configuration has no fault injection. An injected
// failure leaves a trace note in the function the point belongs to (`fn`
// overrides the table's, for points shared by several functions).
template <class Cx>
inline bool should_fail(Cx& cx, fault_point p, std::string_view fn = {})
{
    if constexpr (fault::enabled<std::remove_cvref_t<decltype(cx.k.faults)>>) {
        if (!cx.k.faults.should_fail(p))
            return false;
        const fault_point_info& i = fault_info(p);
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, fn.empty() ? i.fn : fn, [&] {
            return "FAULT_INJECTION: " + std::string(i.name) + ": " + std::string(i.what);
        });
        return true;
    } else {
        (void)cx;
        (void)p;
        (void)fn;
        return false;
    }
}

}  // namespace sockmodel
