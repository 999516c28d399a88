// What a protocol family plugs into the model: its number, its owner module,
// the protos it registers at boot, its create function (net_proto_family.create)
// and the constexpr decision that create function acts on.
#pragma once

#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/linux/net.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/net/sock.hpp>

#include <span>
#include <string_view>

namespace sockmodel {

// What a family's create would do with (type, protocol) for these credentials
// and sysctls, allocation aside: the errno and the function that returns it,
// or what the socket gets.
struct create_choice {
    int err = 0;
    std::string_view where;          // the family's create function ("inet_create"), prot->init included
    const proto_ops* ops = nullptr;  // sock->ops
    const proto* prot = nullptr;     // sk->sk_prot
    int type = 0;                    // sock->type afterwards (AF_UNIX turns RAW into DGRAM)
    int protocol = 0;                // sk->sk_protocol (SO_PROTOCOL)
    int family = 0;                  // sk->sk_family (SO_DOMAIN)

    static constexpr create_choice fail(int e, std::string_view fn) { return {e, fn}; }
};

// The inputs of a verdict beyond (family, type, protocol).
struct create_context {
    const net_sysctl& sysctl;
    const struct cred& cred;
    int kern = 0;
};

template <class F, class K>
concept protocol_family = requires(K& k, net& n, socket& s, const create_context& cx) {
    { F::family } -> std::convertible_to<int>;
    { F::owner } -> std::convertible_to<const module*>;
    { F::template create<K>(k, n, s, 0, 0) } -> std::same_as<int>;
    { F::template choose<K>(cx, 0, 0) } -> std::same_as<create_choice>;
    { F::template protos<K>() } -> std::convertible_to<std::span<const proto* const>>;
};

// The family's net_proto_family entry for one kernel type.
template <class K, class F>
inline constexpr net_proto_family family_ops{F::family, &kernel_fn<K, &F::template create<K>>::call, F::owner};

}  // namespace sockmodel
