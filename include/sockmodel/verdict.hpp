// What socket() will answer, as a constant expression: the same checks the
// runtime path calls, composed in the kernel's order, for a configuration,
// credentials and sysctls. What depends on run-time state (allocation
// failures, the fd table, families registered or removed after boot, module
// unloading) is left out: the verdict assumes none of those intervene.
//
// Two forms:
//   socket_verdict_for<K>(sysctl, cred, family, type, protocol[, security])
//       a netns owned by init_user_ns, and every family's state as it is at
//       boot (netlink's registered protocols and vsock's transports as on
//       the host);
//   socket_verdict_for(k, net, cred, family, type, protocol)
//       a netns of kernel k (its sysctls and owning user namespace) and k's
//       family states as they are now (netlink protocols registered since).
#pragma once

#include <sockmodel/config.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/net/socket.hpp>
#include <sockmodel/security/security.hpp>

namespace sockmodel {

struct socket_verdict {
    int err = 0;
    std::string_view where;          // the kernel function that returned err
    int family = 0;                  // SO_DOMAIN
    int type = 0;                    // SO_TYPE
    int protocol = 0;                // SO_PROTOCOL
    const proto_ops* ops = nullptr;
    const proto* prot = nullptr;
    int f_flags = 0;                 // F_GETFL
    bool cloexec = false;            // F_GETFD & FD_CLOEXEC

    static constexpr socket_verdict fail(int e, std::string_view fn) { return {e, fn}; }
};

namespace detail {
// The chosen family's decision, with its own registrations in the context.
template <class K, class F, class States>
constexpr create_choice choose_one(const create_context& cx, const States& states, int type, int protocol)
{
    create_context in = cx;
    in.registered = registered_of(std::get<typename family_state_of<F>::type>(states));
    return F::template choose<K>(in, type, protocol);
}

template <class K, class States, class... F>
constexpr create_choice choose_family(family_list<F...>, const create_context& cx, const States& states,
                                      int family, int type, int protocol, bool& found)
{
    create_choice c;
    ((F::family == family ? (found = true, c = choose_one<K, F>(cx, states, type, protocol), 0) : 0), ...);
    return c;
}

template <class K, class... F>
constexpr std::string_view create_name_of(family_list<F...>, int family)
{
    std::string_view name;
    ((F::family == family ? (name = F::create_name, 0) : 0), ...);
    return name;
}
}  // namespace detail

// The verdict for sysctls and an owning user namespace of the netns, and the
// families' states.
template <class K>
constexpr socket_verdict socket_verdict_in(const net_sysctl& sysctl, const user_namespace& net_user_ns,
                                           const family_states_t<typename K::families>& states, const cred& c,
                                           int family, int type, int protocol,
                                           const typename K::security_type& security)
{
    using abi = typename K::abi;
    using config = typename K::config;
    protocol = config::update_socket_protocol::apply(family, type, protocol);
    if (int err = sock_check_type_flags<abi>(type))
        return socket_verdict::fail(err, "__sys_socket_create");
    const int flags = sock_file_flags<abi>(type);
    type = sock_mask_type<abi>(type);
    if (int err = sock_check_ranges<abi>(family, type))
        return socket_verdict::fail(err, "__sock_create");
    family = sock_rewrite_family<abi>(family, type);
    if (int err = lsm_first_nonzero(security, [&](const auto& m) { return m.socket_create(c, family, type, protocol, 0); }))
        return socket_verdict::fail(err, "security_socket_create");
    bool found = false;
    const create_context in{sysctl, c, 0, net_user_ns};
    const create_choice choice =
        detail::choose_family<K>(typename K::families{}, in, states, family, type, protocol, found);
    if (!found)
        return socket_verdict::fail(-EAFNOSUPPORT, "__sock_create");
    if (choice.err)
        return socket_verdict::fail(choice.err, detail::create_name_of<K>(typename K::families{}, family));
    if (choice.late_err)
        return socket_verdict::fail(choice.late_err, detail::create_name_of<K>(typename K::families{}, family));
    // prot->init, as far as it can refuse: the same check the run-time init calls.
    if (choice.prot->init_check.is_set())
        if (int err = choice.prot->init_check(sysctl, c))
            return socket_verdict::fail(err, detail::create_name_of<K>(typename K::families{}, family));
    if (int err = lsm_first_nonzero(security, [&](const auto& m) {
            return m.socket_post_create(c, nullptr, family, type, protocol, 0);
        }))
        return socket_verdict::fail(err, "security_socket_post_create");
    return {0, {}, choice.family, choice.type, choice.protocol, choice.ops, choice.prot,
            abi::o_rdwr | (flags & abi::o_nonblock), (flags & abi::o_cloexec) != 0};
}

// A netns owned by init_user_ns, and the families' states as at boot.
template <class K>
constexpr socket_verdict socket_verdict_for(const net_sysctl& sysctl, const cred& c, int family, int type,
                                            int protocol, const typename K::security_type& security = {})
{
    return socket_verdict_in<K>(sysctl, init_user_ns, family_states_t<typename K::families>{}, c, family, type,
                                protocol, security);
}

// A netns of kernel k, and k's family states now.
template <class K>
socket_verdict socket_verdict_for(const K& k, const net& n, const cred& c, int family, int type, int protocol)
{
    return socket_verdict_in<K>(n.sysctl, *n.user_ns, k.family_states(), c, family, type, protocol, k.security);
}

}  // namespace sockmodel
