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
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/net.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

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

// Hooks added at run time (opt::runtime_lsm<true>) live in
// <sockmodel/security/hooks.hpp>, which a program that configures them includes.
template <class H, class L>
class hook_head;
template <class L>
struct hook_heads;

// A kernel built without run-time hooks (opt::runtime_lsm<false>, the default):
// nothing to store, nothing to check.
struct no_hook_heads {};

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

// Fault points (fault/fault.hpp) of this file's functions.
namespace fault_point {
inline constexpr fault_point_info security_socket_create{.name = "security_socket_create", .fn = "security_socket_create", .what = "the LSM denies socket_create", .err = -EACCES};
inline constexpr fault_point_info security_socket_post_create{.name = "security_socket_post_create", .fn = "security_socket_post_create", .what = "the LSM denies socket_post_create", .err = -EACCES};
}  // namespace fault_point

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

inline kstring lsm_answer(std::string_view name, int rc)
{
    return kstring(name) + ": " + (rc ? kstring(errno_name(rc)) : kstring("allow"));
}

// call_int_hook over the run-time list of one hook (security/hooks.hpp).
template <class K, class H, class L, class... A>
int lsm_run_hooks(context<K>& cx, const char* fn, const lsm::hook_head<H, L>& head, const A&... args);

template <class K>
int security_socket_create(context<K>& cx, int family, int type, int protocol, int kern)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "security_socket_create");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] {
        return trace::decode_socket_args<abi, typename K::families>(family, type, protocol) + ", kern=" + to_kstring(kern);
    });
    if (should_fail<&fault_point::security_socket_create>(cx))
        return t.ret(fault_point::security_socket_create.err);
    const cred& c = cx.current.cred;
    int rc = lsm_first_nonzero(cx.k.security, [&](auto& m) {
        const int r = m.socket_create(c, family, type, protocol, kern);
        SOCKMODEL_TRACE_NOTE(cx, "security_socket_create", [&] { return lsm_answer(m.name, r); });
        return r;
    });
    if constexpr (K::runtime_lsm)
        if (rc == 0)
            rc = lsm_run_hooks(cx, "security_socket_create", cx.k.security_hooks.socket_create,
                               c, family, type, protocol, kern);
    return t.ret(rc);
}

template <class K>
int security_socket_post_create(context<K>& cx, socket& sock, int family, int type, int protocol, int kern)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "security_socket_post_create");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] {
        return trace::decode_socket_args<abi, typename K::families>(family, type, protocol) + ", kern=" + to_kstring(kern);
    });
    if (should_fail<&fault_point::security_socket_post_create>(cx))
        return t.ret(fault_point::security_socket_post_create.err);
    const cred& c = cx.current.cred;
    int rc = lsm_first_nonzero(cx.k.security, [&](auto& m) {
        const int r = m.socket_post_create(c, &sock, family, type, protocol, kern);
        SOCKMODEL_TRACE_NOTE(cx, "security_socket_post_create", [&] { return lsm_answer(m.name, r); });
        return r;
    });
    if constexpr (K::runtime_lsm)
        if (rc == 0)
            rc = lsm_run_hooks(cx, "security_socket_post_create", cx.k.security_hooks.socket_post_create,
                               c, static_cast<const socket*>(&sock), family, type, protocol, kern);
    return t.ret(rc);
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
            SOCKMODEL_TRACE_NOTE(cx, "security_socket_socketpair", [&] {
                return kstring(m.name) + ": " + (rc ? kstring(errno_name(rc)) : kstring("allow"));
            });
            return rc;
        } else {
            return 0;
        }
    }));
}

}  // namespace sockmodel
