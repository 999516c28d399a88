// The LSM hooks on the socket() path (security/security.c). An LSM is a policy
// type with a name and two hooks; a chain runs them in order and the first
// non-zero answer wins, as call_int_hook does. The empty chain is the default
// and costs nothing: security_socket_create folds over no modules.
#pragma once

#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/linux/net.hpp>

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

    constexpr int socket_create(const cred&, int, int, int, int) const { return create_ret; }
    constexpr int socket_post_create(const cred&, const socket*, int, int, int, int) const
    {
        return post_create_ret;
    }
};

}  // namespace sockmodel::lsm
