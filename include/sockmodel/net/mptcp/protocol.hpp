// mptcp_prot and mptcp_v6_prot (net/mptcp/protocol.c): refused at init when
// net.mptcp.enabled is 0; the first subflow is created lazily, not here.
#pragma once

#include <sockmodel/linux/ipv6.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/inet_sock.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/trace/trace.hpp>

namespace sockmodel {

struct mptcp_sock : inet_connection_sock {
    void* first = nullptr;  // the first subflow, none until bind/connect
};

struct mptcp6_sock : mptcp_sock {
    ipv6_pinfo inet6;
};

constexpr int mptcp_check(const net_sysctl& sysctl, const cred&) { return sysctl.mptcp_enabled ? 0 : -ENOPROTOOPT; }

template <class K>
int mptcp_init_sock(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "mptcp_init_sock");
    // mptcp_is_enabled: READ_ONCE(pernet->mptcp_enabled)
    return t.ret(read_once(cx, sk.sk_net->sysctl.mptcp_enabled) ? 0 : -ENOPROTOOPT);
}

template <class K>
void mptcp_destroy(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "mptcp_destroy");
}

// mptcp_close of a socket with no subflow: orphan, destroy, drop the reference.
template <class K>
void mptcp_close(context<K>& cx, sock& sk, long)
{
    auto t = trace::enter(cx, "mptcp_close");
    sock_orphan(sk);
    sk.sk_prot->destroy(&cx, sk);
    sock_put(cx, sk);
}

template <class K>
inline constexpr proto mptcp_prot{
    .name = "MPTCP",
    .obj = proto_object<mptcp_sock>{},
    .init = &kernel_fn<K, &mptcp_init_sock<K>>::call,
    .init_check = &mptcp_check,
    .close = &kernel_fn<K, &mptcp_close<K>>::call,
    .destroy = &kernel_fn<K, &mptcp_destroy<K>>::call,
    .getsockopt_other_level = -EOPNOTSUPP,
    .tcp_buffers = true,
};

// mptcp_v6_prot: mptcp_prot with its own name and object.
template <class K>
inline constexpr proto mptcp_v6_prot{
    .name = "MPTCPv6",
    .obj = proto_object<mptcp6_sock>{},
    .init = &kernel_fn<K, &mptcp_init_sock<K>>::call,
    .init_check = &mptcp_check,
    .close = &kernel_fn<K, &mptcp_close<K>>::call,
    .destroy = &kernel_fn<K, &mptcp_destroy<K>>::call,
    .ipv6_pinfo_of = &ipv6_pinfo_in<mptcp6_sock>,
    .getsockopt_other_level = -EOPNOTSUPP,
    .tcp_buffers = true,
};

}  // namespace sockmodel
