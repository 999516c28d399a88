// net/core/sock.c: allocating and initialising a struct sock, the reference
// counts that free it, sk_common_release, and the SOL_SOCKET getsockopt values.
#pragma once

#include <sockmodel/fs/inode.hpp>
#include <sockmodel/mm/slab.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/net/sock.hpp>
#include <sockmodel/trace/trace.hpp>

#include <string>

namespace sockmodel {

// sk_prot_alloc: a zeroed object from the proto's cache, then the owner's module.
template <class K>
sock* sk_prot_alloc(K& k, const proto& prot)
{
    auto t = trace::enter(k, "sk_prot_alloc", [&] { return std::string(prot.name); });
    kmem_cache* cache = k.proto_slab(prot);
    void* mem = cache->alloc();
    if (!mem)
        return t.ret_ptr(static_cast<sock*>(nullptr));
    sock* sk = prot.construct(mem);
    sk->sk_slab = cache;
    if (!k.modules.try_get(prot.owner)) {
        trace::note(k, "sk_prot_alloc", [] { return std::string("try_module_get(prot->owner) failed"); });
        prot.destroy_obj(sk);
        cache->free(mem);
        return t.ret_ptr(static_cast<sock*>(nullptr));
    }
    return t.ret_ptr(sk);
}

// sk_prot_free: back to the cache, and the module reference dropped.
template <class K>
void sk_prot_free(K& k, sock& sk)
{
    auto t = trace::enter(k, "sk_prot_free", [&] { return std::string(sk.sk_prot_creator->name); });
    const proto& prot = *sk.sk_prot_creator;
    kmem_cache* cache = sk.sk_slab;
    prot.destroy_obj(&sk);
    cache->free(&sk);
    k.modules.put(prot.owner);
}

template <class K>
sock* sk_alloc(K& k, net& n, int family, const proto& prot, int kern)
{
    auto t = trace::enter(k, "sk_alloc", [&] { return std::string(prot.name); });
    sock* sk = sk_prot_alloc(k, prot);
    if (!sk)
        return t.ret_ptr(sk);
    sk->sk_family = static_cast<unsigned short>(family);
    sk->sk_prot = sk->sk_prot_creator = &prot;
    sk->sk_kern_sock = kern != 0;
    sk->sk_net_refcnt = kern == 0;  // kernel sockets do not pin their netns
    sk->sk_net = &n;
    if (sk->sk_net_refcnt) {
        ++n.refcount;
        ++n.sock_inuse;
    }
    sk->sk_wmem_alloc = 1;
    return t.ret_ptr(sk);
}

// sock_init_data_uid with the owner of the socket's inode.
template <class K>
void sock_init_data(K& k, socket* sock, struct sock& sk)
{
    auto t = trace::enter(k, "sock_init_data");
    sk.sk_state = tcp_close_state;
    sk.sk_rcvbuf = sk.sk_net->sysctl.rmem_default;
    sk.sk_sndbuf = sk.sk_net->sysctl.wmem_default;
    sk.sk_socket = sock;
    sk.set_flag(sock_flag::zapped);
    if (sock) {
        sk.sk_type = static_cast<unsigned short>(sock->type);
        sk.sk_wq = &sock->wq;
        sock->sk = &sk;
        sk.sk_uid = SOCK_INODE(*sock).i_uid;
    }
    sk.sk_destruct = nullptr;  // sock_def_destruct does nothing the model keeps
    sk.sk_peek_off = -1;
    sk.sk_rcvlowat = 1;
    sk.sk_rcvtimeo = sk.sk_sndtimeo = max_schedule_timeout;
    sk.sk_incoming_cpu = -1;
    sk.sk_refcnt = 1;
}

// __sk_destruct: the family's destructor, the netns reference, the memory.
template <class K>
void __sk_destruct(K& k, sock& sk)
{
    auto t = trace::enter(k, "__sk_destruct");
    if (sk.sk_destruct)
        sk.sk_destruct(&k, sk);
    if (sk.sk_net_refcnt)
        --sk.sk_net->refcount;
    sk_prot_free(k, sk);
}

// __sk_free → sk_destruct. SOCK_RCU_FREE sockets are freed after a grace
// period in the kernel; nothing in the model can still be reading them.
template <class K>
void __sk_free(K& k, sock& sk)
{
    auto t = trace::enter(k, "__sk_free");
    if (sk.sk_net_refcnt)
        --sk.sk_net->sock_inuse;
    if (sk.flag(sock_flag::rcu_free))
        trace::note(k, "__sk_free", [] { return std::string("SOCK_RCU_FREE: destruct after an RCU grace period"); });
    __sk_destruct(k, sk);
}

template <class K>
void sk_free(K& k, sock& sk)
{
    if (--sk.sk_wmem_alloc == 0)
        __sk_free(k, sk);
}

template <class K>
void sock_put(K& k, sock& sk)
{
    if (--sk.sk_refcnt == 0)
        sk_free(k, sk);
}

inline void sock_hold(sock& sk) { ++sk.sk_refcnt; }

// sock_orphan: the sock outlives its socket from here on.
inline void sock_orphan(sock& sk)
{
    sk.set_flag(sock_flag::dead);
    sk.sk_socket = nullptr;
    sk.sk_wq = nullptr;
}

// sk_common_release: what udp/raw/ping close and inet_create's error path share.
template <class K>
void sk_common_release(K& k, sock& sk)
{
    auto t = trace::enter(k, "sk_common_release");
    if (sk.sk_prot->destroy)
        sk.sk_prot->destroy(&k, sk);
    if (sk.sk_prot->unhash)
        sk.sk_prot->unhash(&k, sk);
    if (sk.sk_socket)
        sk.sk_socket->sk = nullptr;
    sock_orphan(sk);
    sock_put(k, sk);
}

}  // namespace sockmodel
