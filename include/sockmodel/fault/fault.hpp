// Fault injection as a compile-time policy, in the spirit of the kernel's
// lib/fault-inject.c (should_fail) and mm/failslab.c: a named point at every
// place the socket()/close() path can fail, and a policy that decides, at run
// time, which call at which point fails.
//
//     using cfg = sockmodel::config<sockmodel::opt::faults<sockmodel::fault::inject>>;
//     sockmodel::kernel<cfg> k;
//     k.faults.fail_nth(sockmodel::fault_point::sock_alloc, 1);   // the next sock_alloc fails
//
// A point is a constant fault_point_info declared by the code that owns the
// place (namespace fault_point is open: the path's own points are in the
// headers of net/socket, net/core/sock, fs/file, fs/file_table and security;
// a family declares its own in its header and lists them in its
// `fault_points`). A kernel's table is the path's points followed by those of
// its configured families; should_fail<&point>(cx) finds the point's slot at
// compile time, and a point the configuration does not have never fails.
//
// fault::none (the default) holds no state and its should_fail is a constant
// false folded away at compile time: no branch, no counter. Asking it to
// inject does not compile (it says so).
//
// The close side has no point: close(2) → filp_flush calls ->flush, which
// socket_file_ops leaves NULL, and __fput → sock_close cannot fail (it
// returns 0 whatever the family's release says), so nothing there fails.
#pragma once

#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/err.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

namespace sockmodel {

struct fault_point_info {
    std::string_view name;  // what --inject and the tests call it
    std::string_view fn;    // the kernel function the point is in (its trace notes go there)
    std::string_view what;  // what fails there
    int err;                // the errno the failing step itself produces (the caller may translate it)
};

namespace fault {

// A list of points (a family's `fault_points`, the path's, a kernel's table).
template <const fault_point_info*... P>
struct point_list {};

template <const fault_point_info* P>
struct at {};

namespace detail {
// Append P to L unless L has it (a point shared by two families is listed once).
template <class L, const fault_point_info* P>
struct add_one;
template <const fault_point_info*... A, const fault_point_info* P>
struct add_one<point_list<A...>, P> {
    using type = std::conditional_t<(std::is_same_v<at<A>, at<P>> || ...), point_list<A...>, point_list<A..., P>>;
};
template <class L, class M>
struct add_all;
template <class L>
struct add_all<L, point_list<>> {
    using type = L;
};
template <class L, const fault_point_info* P, const fault_point_info*... R>
struct add_all<L, point_list<P, R...>> {
    using type = typename add_all<typename add_one<L, P>::type, point_list<R...>>::type;
};
}  // namespace detail

// The points of L followed by those of M that L does not have.
template <class L, class M>
using merge = typename detail::add_all<L, M>::type;

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

// Where P stands in L, or npos: found by type, so no address is compared.
template <const fault_point_info* P, class L>
struct index_of;
template <const fault_point_info* P, const fault_point_info*... A>
struct index_of<P, point_list<A...>> {
    static constexpr std::size_t value = [] {
        constexpr bool same[] = {std::is_same_v<at<P>, at<A>>..., false};
        for (std::size_t i = 0; i < sizeof...(A); ++i)
            if (same[i])
                return i;
        return npos;
    }();
};

template <class L>
struct table_of;
template <const fault_point_info*... P>
struct table_of<point_list<P...>> {
    static constexpr std::array<const fault_point_info*, sizeof...(P)> points{P...};
};

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

// What a configuration names to inject (opt::faults<fault::inject>); the
// kernel holds it as rules<lock policy, its point table>.
struct inject {};

// Deterministic injection, per point of the kernel's table: fail the Nth call
// from now (once), every call, or each call with a probability drawn from a
// seeded generator. Every call that reaches a point is counted (passes),
// injected or not. As lib/fault-inject.c keeps fault_attr's times and space
// in atomic_t, the rules are safe to arm, clear and reach from several
// threads at once under lock::smp (plain words under lock::none):
//   - a point's rule is one word (what kind, and the calls left or the
//     probability), so arming is one store and a call sees the old rule or
//     the new one, never half of each;
//   - "fail the Nth call" counts down with compare-and-swap: of all the calls
//     from all threads, exactly the Nth fails, once;
//   - the seeded draws advance one splitmix64 state by fetch_add of its
//     increment: N calls from any threads use exactly the first N numbers of
//     the seed's sequence.
// Rules that make no sense (the 0th call, a probability above one in one,
// a point this kernel's configuration does not have) throw
// sockmodel::invalid_argument, naming what is wrong.
template <class L, class Table>
class rules {
public:
    static constexpr auto table = table_of<Table>::points;
    static constexpr std::size_t count = table.size();

    // The n-th call from now at p fails (n >= 1), then p behaves again.
    void fail_nth(const fault_point_info& p, unsigned long n)
    {
        if (n == 0)
            throw invalid_argument("fail_nth(" + kstring(p.name) +
                                        ", 0): calls are counted from 1 (the next call is 1); 0 would never fire");
        arm(slot(p), how::nth, n & payload_mask);
    }
    void fail_always(const fault_point_info& p) { arm(slot(p), how::always, 0); }
    // Each call fails with probability per_million / 1e6, from a splitmix64
    // generator seeded with `seed` (the same seed gives the same failures).
    void fail_probability(const fault_point_info& p, std::uint32_t per_million, std::uint64_t seed)
    {
        if (per_million > 1000000U)
            throw invalid_argument("fail_probability(" + kstring(p.name) + ", " +
                                        to_kstring(per_million) +
                                        "): the probability is in millionths, at most 1000000 (every call)");
        const std::size_t i = slot(p);
        atomic_set(L{}, state_[i], seed);  // published by the rule's release store
        arm(i, how::random, per_million);
    }
    void clear(const fault_point_info& p) { atomic_set_release(L{}, rules_[slot(p)], std::uint64_t{0}); }
    void clear()
    {
        for (auto& r : rules_)
            atomic_set_release(L{}, r, std::uint64_t{0});
        reset_counts();
    }

    unsigned long passes(const fault_point_info& p) const { return atomic_read(L{}, passes_[slot(p)]); }
    unsigned long injected(const fault_point_info& p) const { return atomic_read(L{}, injected_[slot(p)]); }
    void reset_counts()
    {
        for (auto& c : passes_)
            atomic_set(L{}, c, 0UL);
        for (auto& c : injected_)
            atomic_set(L{}, c, 0UL);
    }

    // This kernel's points, in table order; one by its name, or nullptr.
    static constexpr std::span<const fault_point_info* const> points() { return {table.data(), table.size()}; }
    static constexpr const fault_point_info* find(std::string_view name)
    {
        for (const fault_point_info* p : table)
            if (p->name == name)
                return p;
        return nullptr;
    }

    // should_fail at point p (the path finds its slot at compile time).
    bool should_fail(const fault_point_info& p) { return should_fail(slot(p)); }

    // should_fail at the point in slot i: count the pass, then decide.
    bool should_fail(std::size_t i)
    {
        atomic_inc(L{}, passes_[i]);
        std::uint64_t r = atomic_read_acquire(L{}, rules_[i]);
        bool fail = false;
        switch (static_cast<how>(r >> payload_bits)) {
        case how::off: break;
        case how::nth:
            // atomic_dec_and_test on the calls left, as one CAS with the kind:
            // the call that takes it from 1 to 0 fails and turns the rule off.
            for (;;) {
                const std::uint64_t left = r & payload_mask;
                const std::uint64_t next = left <= 1 ? 0 : r - 1;
                if (atomic_try_cmpxchg(L{}, rules_[i], r, next)) {
                    fail = left == 1;
                    break;
                }
                if (static_cast<how>(r >> payload_bits) != how::nth) {
                    // Re-armed or cleared meanwhile: this call obeys the new
                    // rule (a fresh nth rule counts from the next call).
                    fail = obeys(i, r);
                    break;
                }
            }
            break;
        default: fail = obeys(i, r); break;
        }
        if (fail)
            atomic_inc(L{}, injected_[i]);
        return fail;
    }

private:
    enum class how : unsigned char { off, nth, always, random };
    static constexpr unsigned payload_bits = 62;
    static constexpr std::uint64_t payload_mask = (std::uint64_t{1} << payload_bits) - 1;

    static std::size_t slot(const fault_point_info& p)
    {
        for (std::size_t i = 0; i < count; ++i)
            if (table[i] == &p)
                return i;
        throw invalid_argument("fault point \"" + kstring(p.name) +
                                    "\" is not in this kernel's configuration (its family is not among "
                                    "opt::families): configure the family, or choose one of points()");
    }
    void arm(std::size_t i, how h, std::uint64_t payload)
    {
        atomic_set_release(L{}, rules_[i], (static_cast<std::uint64_t>(h) << payload_bits) | payload);
    }
    bool obeys(std::size_t i, std::uint64_t r)
    {
        switch (static_cast<how>(r >> payload_bits)) {
        case how::always: return true;
        case how::random: return draw(i) % 1000000U < (r & payload_mask);
        default: return false;
        }
    }
    // splitmix64 with its state advanced by fetch_add.
    std::uint64_t draw(std::size_t i)
    {
        constexpr std::uint64_t gamma = 0x9e3779b97f4a7c15ULL;
        std::uint64_t z = atomic_fetch_add(L{}, state_[i], gamma) + gamma;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    std::array<basic_atomic<std::uint64_t>, count> rules_{};
    std::array<basic_atomic<std::uint64_t>, count> state_{};
    std::array<basic_atomic<unsigned long>, count> passes_{};
    std::array<basic_atomic<unsigned long>, count> injected_{};
};

template <class F>
inline constexpr bool enabled = !std::is_same_v<F, none>;

// One line per point, in table order: its name, the function it is in and
// what fails there (sockmodel-trace --inject list).
inline kstring describe_points(std::span<const fault_point_info* const> points)
{
    kstring out;
    for (const fault_point_info* p : points) {
        kstring line(p->name);
        line.resize(line.size() < 28 ? 28 : line.size() + 1, ' ');
        line += p->fn.empty() ? std::string_view("prot->init caller") : p->fn;
        line.resize(line.size() < 53 ? 53 : line.size() + 1, ' ');
        out += line + kstring(p->what) + "\n";
    }
    return out;
}

// The policy a kernel holds for opt::faults<F>, lock policy L and point table Table.
template <class F, class L, class Table>
struct rules_for {
    using type = F;
};
template <class L, class Table>
struct rules_for<inject, L, Table> {
    using type = rules<L, Table>;
};

}  // namespace fault

// should_fail at point P for the kernel of this call context: false, at
// compile time, when the configuration has no fault injection or its table
// lacks P. An injected failure leaves a trace note in the function the point
// belongs to (`fn` overrides the point's, for points shared by several
// functions).
template <const fault_point_info* P, class Cx>
inline bool should_fail(Cx& cx, std::string_view fn = {})
{
    using faults = std::remove_cvref_t<decltype(cx.k.faults)>;
    if constexpr (fault::enabled<faults>) {
        constexpr std::size_t i = fault::index_of<P, typename std::remove_cvref_t<decltype(cx.k)>::fault_table>::value;
        if constexpr (i != fault::npos) {
            if (!cx.k.faults.should_fail(i))
                return false;
            SOCKMODEL_TRACE_NOTE(cx, fn.empty() ? P->fn : fn, [&] {
                return "FAULT_INJECTION: " + kstring(P->name) + ": " + kstring(P->what);
            });
            return true;
        } else {
            return false;
        }
    } else {
        (void)cx;
        (void)fn;
        return false;
    }
}

}  // namespace sockmodel
