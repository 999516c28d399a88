// The LSM hooks on the socket() path (security/security.c). An LSM is a policy
// type with a name and two hooks; a chain runs them in order and the first
// non-zero answer wins, as call_int_hook does. The empty chain is the default
// and costs nothing: security_socket_create folds over no modules.
// security_socket_create and security_socket_post_create are here too.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/linux/net.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <string>
#include <string_view>
#include <tuple>

namespace sockmodel::lsm {

// What an LSM policy provides (both hooks may be constexpr; the verdict uses them).
template <class L>
concept security_module = requires(const L& l, const cred& c, const socket* s) {
    { L::name } -> std::convertible_to<std::string_view>;
    { l.socket_create(c, 0, 0, 0, 0) } -> std::same_as<int>;
    { l.socket_post_create(c, s, 0, 0, 0, 0) } -> std::same_as<int>;
};

template <security_module... L>
struct chain {
    std::tuple<L...> modules;

    template <class L1>
    L1& get() { return std::get<L1>(modules); }
};

using none = chain<>;

// An LSM whose answers a test or a user sets at run time (0 = allow).
struct settable {
    static constexpr std::string_view name = "settable";
    int create_ret = 0;
    int post_create_ret = 0;
    int socketpair_ret = 0;

    constexpr int socket_create(const cred&, int, int, int, int) const { return create_ret; }
    constexpr int socket_post_create(const cred&, const socket*, int, int, int, int) const
    {
        return post_create_ret;
    }
    constexpr int socket_socketpair(const cred&, const socket*, const socket*) const { return socketpair_ret; }
};

}  // namespace sockmodel::lsm

namespace sockmodel {

// call_int_hook: the first module that answers non-zero decides.
template <class Chain, class Hook>
constexpr int lsm_first_nonzero(Chain& chain, Hook&& hook)
{
    return std::apply([&](auto&... m) {
        int rc = 0;
        ((rc == 0 ? (rc = hook(m)) : 0), ...);
        return rc;
    }, chain.modules);
}

template <class K>
int security_socket_create(context<K>& cx, int family, int type, int protocol, int kern)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "security_socket_create", [&] {
        return trace::decode_socket_args<abi>(family, type, protocol) + ", kern=" + std::to_string(kern);
    });
    if (should_fail(cx, fault_point::security_socket_create))
        return t.ret(fault_info(fault_point::security_socket_create).err);
    const cred& c = cx.current.cred;
    return t.ret(lsm_first_nonzero(cx.k.security, [&](auto& m) {
        const int rc = m.socket_create(c, family, type, protocol, kern);
        trace::note(cx, "security_socket_create", [&] {
            return std::string(m.name) + ": " + (rc ? std::string(errno_name(rc)) : std::string("allow"));
        });
        return rc;
    }));
}

template <class K>
int security_socket_post_create(context<K>& cx, socket& sock, int family, int type, int protocol, int kern)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "security_socket_post_create", [&] {
        return trace::decode_socket_args<abi>(family, type, protocol) + ", kern=" + std::to_string(kern);
    });
    if (should_fail(cx, fault_point::security_socket_post_create))
        return t.ret(fault_info(fault_point::security_socket_post_create).err);
    const cred& c = cx.current.cred;
    return t.ret(lsm_first_nonzero(cx.k.security, [&](auto& m) {
        const int rc = m.socket_post_create(c, &sock, family, type, protocol, kern);
        trace::note(cx, "security_socket_post_create", [&] {
            return std::string(m.name) + ": " + (rc ? std::string(errno_name(rc)) : std::string("allow"));
        });
        return rc;
    }));
}

// security_socket_socketpair: __sys_socketpair's hook, after both sockets
// exist. An LSM without a socket_socketpair member allows (no hook registered).
template <class K>
int security_socket_socketpair(context<K>& cx, socket& socka, socket& sockb)
{
    auto t = trace::enter(cx, "security_socket_socketpair");
    const cred& c = cx.current.cred;
    return t.ret(lsm_first_nonzero(cx.k.security, [&](auto& m) {
        if constexpr (requires { m.socket_socketpair(c, &socka, &sockb); }) {
            const int rc = m.socket_socketpair(c, &socka, &sockb);
            trace::note(cx, "security_socket_socketpair", [&] {
                return std::string(m.name) + ": " + (rc ? std::string(errno_name(rc)) : std::string("allow"));
            });
            return rc;
        } else {
            return 0;
        }
    }));
}

}  // namespace sockmodel
