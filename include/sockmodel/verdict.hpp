// What socket() will answer, as a constant expression: the same checks the
// runtime path calls, composed in the kernel's order, for a configuration,
// credentials and sysctls. What depends on run-time state (allocation
// failures, the fd table, families registered or removed after boot, module
// unloading) is left out: the verdict assumes none of those intervene.
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
template <class K, class... F>
constexpr create_choice choose_family(family_list<F...>, const create_context& cx, int family, int type,
                                      int protocol, bool& found)
{
    create_choice c;
    ((F::family == family ? (found = true, c = F::template choose<K>(cx, type, protocol), 0) : 0), ...);
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

template <class K>
constexpr socket_verdict socket_verdict_for(const net_sysctl& sysctl, const cred& c, int family, int type,
                                            int protocol, const typename K::security_type& security = {})
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
    const create_choice choice =
        detail::choose_family<K>(typename K::families{}, {sysctl, c, 0}, family, type, protocol, found);
    if (!found)
        return socket_verdict::fail(-EAFNOSUPPORT, "__sock_create");
    if (choice.err)
        return socket_verdict::fail(choice.err, detail::create_name_of<K>(typename K::families{}, family));
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

}  // namespace sockmodel
