// mptcp_prot (net/mptcp/protocol.c) for IPv4: refused at init when
// net.mptcp.enabled is 0; the first subflow is created lazily, not here.
#pragma once

#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/inet_sock.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/trace/trace.hpp>

namespace sockmodel {

struct mptcp_sock : inet_connection_sock {
    void* first = nullptr;  // the first subflow, none until bind/connect
};

constexpr int mptcp_check(const net_sysctl& sysctl, const cred&) { return sysctl.mptcp_enabled ? 0 : -ENOPROTOOPT; }

template <class K>
int mptcp_init_sock(K& k, sock& sk)
{
    auto t = trace::enter(k, "mptcp_init_sock");
    return t.ret(mptcp_check(sk.sk_net->sysctl, k.current().cred));
}

template <class K>
void mptcp_destroy(K& k, sock&)
{
    auto t = trace::enter(k, "mptcp_destroy");
}

// mptcp_close of a socket with no subflow: orphan, destroy, drop the reference.
template <class K>
void mptcp_close(K& k, sock& sk, long)
{
    auto t = trace::enter(k, "mptcp_close");
    sock_orphan(sk);
    sk.sk_prot->destroy(&k, sk);
    sock_put(k, sk);
}

template <class K>
inline constexpr proto mptcp_prot{
    "MPTCP", nullptr, proto_object<mptcp_sock>::size, proto_object<mptcp_sock>::align,
    &proto_object<mptcp_sock>::construct, &proto_object<mptcp_sock>::destroy,
    &kernel_fn<K, &mptcp_init_sock<K>>::call, &mptcp_check, &kernel_fn<K, &mptcp_close<K>>::call,
    nullptr, nullptr, &kernel_fn<K, &mptcp_destroy<K>>::call};

}  // namespace sockmodel
