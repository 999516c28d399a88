// What a protocol family plugs into the model, and the library code every
// family shares: the family list of a configuration, the constexpr decision a
// family's create function acts on, family_create (net_proto_family.create
// for every family), and boot-time registration of a family's tables.
//
// A family states each decision once, in a constexpr `choose`; the run-time
// create function and the constexpr verdict (verdict.hpp) are both derived
// from it, so the two cannot disagree. A family policy provides:
//
//     struct my_family {
//         static constexpr int family = 29;                   // AF_CAN
//         static constexpr const module* owner = &can_module;  // nullptr: built in
//         static constexpr std::string_view create_name = "can_create";
//         template <class K> using protosw = my_table<K>;     // ::entries, each with .prot and .ops
//         template <class K>                                  // every check before allocation
//         static constexpr create_choice choose(const create_context&, int type, int protocol);
//         template <class K>                                  // allocation and init of the chosen entry
//         static int construct(context<K>&, net&, socket&, const create_choice&, int kern);
//         // optional: template <class K> static void explain(context<K>&, const create_choice&, int type, int protocol);
//         // optional: template <class K> static kstring describe(int type, int protocol, int kern);
//         // optional: struct state { long in_use() const;       // the family's own kernel state
//         //                          constexpr std::uint64_t registered() const; };  // what choose reads of it
//         // optional: template <class K> static std::uint64_t registered(context<K>&);
//         //           (registered() read under the family's own lock)
//     };
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/err.hpp>
#include <sockmodel/linux/net.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/net/sock.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>

#include <concepts>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace sockmodel {

struct task_struct;

// The families registered at boot, in registration order.
template <class... F>
struct family_list {};

// A family list, or a named one (struct X : family_list<...> { using list = ...; }).
template <class T>
struct as_family_list {
    using type = typename T::list;
};
template <class... F>
struct as_family_list<family_list<F...>> {
    using type = family_list<F...>;
};

// What a family's create decides about (type, protocol) for these credentials
// and sysctls, before it allocates anything: the errno, the step of the
// family's own that decided (for its trace notes), and what the socket gets.
// On a failure after the table lookup, ops/prot/protocol say what was found.
struct create_choice {
    int err = 0;
    int step = 0;                    // family-defined: which check decided
    const proto_ops* ops = nullptr;  // sock->ops
    const proto* prot = nullptr;     // sk->sk_prot
    int type = 0;                    // sock->type afterwards (AF_UNIX turns RAW into DGRAM)
    int protocol = 0;                // sk->sk_protocol (SO_PROTOCOL)
    int family = 0;                  // sk->sk_family (SO_DOMAIN)
    unsigned flags = 0;              // the chosen entry's flags (INET_PROTOSW_*)
    // An errno the create function reaches only after it has allocated the
    // sock (vsock_create's transport assignment for SOCK_DGRAM): construct
    // allocates, then undoes it and returns this; the verdict reports it.
    int late_err = 0;
    // Family-defined: what choose hands construct beyond the above
    // (AF_PACKET: the 16-bit protocol it keeps in po->num).
    unsigned long data = 0;

    static constexpr create_choice fail(int e, int at) { return {e, at}; }
};

// The inputs of a decision beyond (type, protocol).
struct create_context {
    const net_sysctl& sysctl;
    const struct cred& cred;
    int kern = 0;
    // net->user_ns of the netns the socket is created in: what
    // ns_capable(net->user_ns, CAP_NET_RAW) asks about.
    const user_namespace& user_ns = init_user_ns;
    // The family's run-time registrations, as its state's registered() reads
    // them (bit n set: netlink protocol n has nl_table[n].registered; vsock's
    // loaded transports), for a create function whose answer depends on what
    // was registered after boot. family_create and the verdict fill it for
    // the family they ask; 0 for a family without such state.
    std::uint64_t registered = 0;
};

// A family's protocol table: constant entries naming a proto and an ops table.
template <class T>
concept protocol_table = requires {
    { T::entries.size() } -> std::convertible_to<std::size_t>;
    { T::entries[0].prot } -> std::convertible_to<const proto&>;
    { T::entries[0].ops } -> std::convertible_to<const proto_ops&>;
};

// A predicate, so "this is not a family" can be tested as a constant; the
// static_asserts with messages are in checked_family.
template <class F, class K>
concept protocol_family = requires(context<K>& cx, net& n, socket& s, const create_context& in,
                                   const create_choice& c) {
    { F::family } -> std::convertible_to<int>;
    { F::owner } -> std::convertible_to<const module*>;
    { F::create_name } -> std::convertible_to<std::string_view>;
    requires protocol_table<typename F::template protosw<K>>;
    { F::template choose<K>(in, 0, 0) } -> std::same_as<create_choice>;
    { F::template construct<K>(cx, n, s, c, 0) } -> std::same_as<int>;
};

namespace detail {
template <class F>
struct fault_points_of {
    using type = fault::point_list<>;
};
template <class F>
    requires requires { typename F::fault_points; }
struct fault_points_of<F> {
    using type = typename F::fault_points;
};
template <class F, class K>
concept family_explains = requires(context<K>& cx, const create_choice& c) { F::template explain<K>(cx, c, 0, 0); };
template <class F, class K>
concept family_describes = requires { { F::template describe<K>(0, 0, 0) } -> std::convertible_to<std::string_view>; };
template <class F>
concept family_has_state = requires { typename F::state; };
template <class S>
concept state_has_registrations = requires(const S& s) { { s.registered() } -> std::convertible_to<std::uint64_t>; };
// A family whose registrations change at run time reads them under its own
// lock (netlink_lock_table, vsock_register_mutex).
template <class F, class K>
concept family_reads_registrations = requires(context<K>& cx) {
    { F::template registered<K>(cx) } -> std::convertible_to<std::uint64_t>;
};

template <class T>
constexpr bool table_complete()
{
    for (const auto& e : T::entries)
        if (!proto_ops_complete(e.ops) || !proto_complete(e.prot))
            return false;
    return true;
}
}  // namespace detail

// The boot-time checks of one family, with messages; the failing family is
// the template argument in the compiler's instantiation note.
template <class F, class K>
struct checked_family {
    static_assert(protocol_family<F, K>,
                  "not a protocol family: sock_register needs a net_proto_family (include/linux/net.h); give the "
                  "policy family, owner, create_name, protosw<K>, choose<K> and construct<K> (docs/families.md: what a "
                  "family provides)");
    static constexpr bool table_ok = [] {
        if constexpr (protocol_family<F, K>)
            return detail::table_complete<typename F::template protosw<K>>();
        else
            return true;
    }();
    static_assert(table_ok,
                  "an entry of the family's protocol table has an incomplete proto_ops or proto (include/linux/net.h, "
                  "include/net/sock.h: the kernel calls these without NULL checks): fill every op, and give each "
                  "proto a name, .obj and .close");
    static constexpr bool value = true;
};

// The family's own state in a kernel (unix_nr_socks, ...), or nothing.
template <class F>
struct family_state_of {
    struct type {};
};
template <detail::family_has_state F>
struct family_state_of<F> {
    using type = typename F::state;
};

// The states of a family list, one per family, in a tuple (kernel::family_states()).
template <class L>
struct family_states_of;
template <class... F>
struct family_states_of<family_list<F...>> {
    using type = std::tuple<typename family_state_of<F>::type...>;
};
template <class L>
using family_states_t = typename family_states_of<L>::type;

// create_context::registered for a family's state.
template <class S>
constexpr std::uint64_t registered_of(const S& s)
{
    if constexpr (detail::state_has_registrations<S>)
        return s.registered();
    else
        return 0;
}

// net_proto_family.create for every family: the decision, its trace notes,
// then the construction of what was chosen.
template <class K, class F>
int family_create(context<K>& cx, net& n, socket& sock, int protocol, int kern)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, F::create_name);
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] {
        if constexpr (detail::family_describes<F, K>)
            return kstring(std::string_view(F::template describe<K>(sock.type, protocol, kern)));
        else
            return trace::decode_type<abi>(sock.type) + ", " + to_kstring(protocol) + ", kern=" +
                   to_kstring(kern);
    });
    std::uint64_t registered = 0;
    if constexpr (detail::family_reads_registrations<F, K>)
        registered = F::template registered<K>(cx);
    else if constexpr (detail::state_has_registrations<typename family_state_of<F>::type>)
        registered = registered_of(cx.k.template family_state<F>());
    // The sysctls as of one moment (each READ_ONCE, the ping range under its
    // seqlock): a writer may be changing them.
    const net_sysctl sysctl = n.sysctl_snapshot(cx);
    const create_context in{sysctl, cx.current.cred, kern, *n.user_ns, registered};
    const create_choice c = F::template choose<K>(in, sock.type, protocol);
    if constexpr (detail::family_explains<F, K>)
        F::template explain<K>(cx, c, sock.type, protocol);
    if (c.err)
        return t.ret(c.err);
    return t.ret(F::template construct<K>(cx, n, sock, c, kern));
}

// The family's net_proto_family entry for one kernel type.
template <class K, class F>
inline constexpr net_proto_family family_ops{
    .family = F::family,
    .create = &kernel_fn<K, &family_create<K, F>>::call,
    .owner = F::owner,
};

// Boot: every proto of the family's table registered (each once), every module
// any of its tables names made known, then sock_register. Also what a module's
// init does for a family added at run time.
template <class F, class K>
int register_family(K& k)
{
    static_assert(checked_family<F, K>::value);
    for (const auto& e : F::template protosw<K>::entries) {
        if (int err = k.proto_register(e.prot))
            return err;
        k.modules.load(e.ops.owner);
    }
    k.modules.load(F::owner);
    return k.sock_register(&family_ops<K, F>);
}

// The families of the configuration registered at boot, in its order (their
// initcalls); one that cannot be is a BUG.
template <class K, class... F>
void register_boot_families(K& k, family_list<F...>)
{
    auto boot = [&k]<class G>() {
        if (int err = register_family<G>(k)) [[unlikely]]
            kernel_bug<K>("register_family at boot failed with " + to_kstring(err) +
                          " (a family table the configuration names cannot be registered)");
    };
    (boot.template operator()<F>(), ...);
}

namespace detail {
template <class List>
struct family_checks;

template <class... F>
struct family_checks<family_list<F...>> {
    static constexpr bool below(int max) { return ((F::family >= 0 && F::family < max) && ... && true); }
    static constexpr bool unique()
    {
        constexpr int numbers[] = {F::family..., 0};
        constexpr std::size_t n = sizeof...(F);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = i + 1; j < n; ++j)
                if (numbers[i] == numbers[j])
                    return false;
        return true;
    }
};

template <class T>
concept complete_type = requires { sizeof(T); };
// complete_type<T>, asked only when Needed: a concept's answer is kept for
// the rest of the TU, so asking it of a type the program has not included yet
// (and does not need) would answer "incomplete" for good.
template <bool Needed, class T>
inline constexpr bool complete_if_needed = true;
template <class T>
inline constexpr bool complete_if_needed<true, T> = complete_type<T>;

// The configured family list; an empty one when it names an incomplete type
// (checked_config has said why), so no error follows the first.
template <class T>
struct families_or_empty {
    using type = family_list<>;
};
template <complete_type T>
struct families_or_empty<T> {
    using type = typename as_family_list<T>::type;
};
}  // namespace detail

template <class Abi, class List>
struct checked_family_numbers;
template <class Abi, class... F>
struct checked_family_numbers<Abi, family_list<F...>> {
    static_assert(detail::family_checks<family_list<F...>>::below(Abi::af_max),
                  "sock_register: family number >= AF_MAX (net/socket.c answers -ENOBUFS at boot): "
                  "give the family a number below the ABI's af_max");
    static_assert(detail::family_checks<family_list<F...>>::unique(),
                  "sock_register: a family is listed twice (net/socket.c answers -EEXIST at boot): "
                  "list each family number once in opt::families");
    static constexpr bool value = true;
};

// A kernel's fault table: the path's points, then each configured family's
// `fault_points` that are not listed yet.
template <class Path, class List>
struct fault_table_of;
template <class Path>
struct fault_table_of<Path, family_list<>> {
    using type = Path;
};
template <class Path, class F, class... R>
struct fault_table_of<Path, family_list<F, R...>> {
    using with_f = fault::merge<Path, typename detail::fault_points_of<F>::type>;
    using type = typename fault_table_of<with_f, family_list<R...>>::type;
};

}  // namespace sockmodel
