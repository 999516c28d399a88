// net/core/sock.c: the proto registry (proto_register), allocating and
// initialising a struct sock, the reference counts that free it,
// sk_common_release, and the per-netns in-use counters.
#pragma once

#include <sockmodel/fault/fault.hpp>
#include <sockmodel/fs/inode.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/module.hpp>
#include <sockmodel/kernel/smp.hpp>
#include <sockmodel/lib/ptr_index.hpp>
#include <sockmodel/mm/slab.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/net/sock.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sockmodel {

// What proto_register(prot, alloc_slab=1) leaves behind for one proto in one
// kernel: the fields the kernel writes into struct proto itself.
struct proto_state {
    const proto* prot;
    kmem_cache slab;  // prot->slab
    int inuse_idx;    // prot->inuse_idx, from assign_proto_idx

    proto_state(const proto& p, int idx) : prot(&p), slab(p.name, p.obj.size, p.obj.align), inuse_idx(idx) {}
};

// proto_list: every registered proto, found by its address in O(1).
class proto_list {
public:
    // proto_register: the slab, the in-use index (-ENOSPC when PROTO_INUSE_NR
    // are taken, as assign_proto_idx answers) and the owner module. A proto
    // already registered is left as it is (families may share one).
    int proto_register(const proto& prot, module_table& modules)
    {
        if (find(prot))
            return 0;
        const int idx = static_cast<int>(protos_.size());
        if (idx >= net::proto_inuse_nr)
            return -ENOSPC;
        protos_.push_back(std::make_unique<proto_state>(prot, idx));
        index_.insert(&prot, idx);
        modules.load(prot.owner);
        return 0;
    }

    // find without the one-entry cache (lock::smp: the cache is per kernel, not per CPU).
    proto_state* find_uncached(const proto& prot) const
    {
        const int i = index_.find(&prot);
        return i == ptr_index::none ? nullptr : protos_[static_cast<std::size_t>(i)].get();
    }

    proto_state* find(const proto& prot) const
    {
        if (&prot == last_prot_)  // the proto asked for last time: the common case
            return last_;
        const int i = index_.find(&prot);
        if (i == ptr_index::none)
            return nullptr;
        last_prot_ = &prot;
        last_ = protos_[static_cast<std::size_t>(i)].get();
        return last_;
    }

    // The registered proto sk_alloc draws from; a proto nobody registered is a
    // bug in the family that chose it.
    proto_state& get(const proto& prot) const
    {
        proto_state* s = find(prot);
        if (!s)
            unregistered(prot);
        return *s;
    }

    // Is p a live sock of one of the registered protos (not freed, not foreign)?
    bool owns_live(const void* p) const
    {
        for (const auto& ps : protos_)
            if (ps->slab.owns_live(p))
                return true;
        return false;
    }

    std::size_t socks_in_use() const
    {
        std::size_t n = 0;
        for (const auto& p : protos_)
            n += p->slab.active_objs();
        return n;
    }

    const std::vector<std::unique_ptr<proto_state>>& all() const { return protos_; }

private:
    [[noreturn, gnu::cold, gnu::noinline]] static void unregistered(const proto& prot)
    {
        throw std::logic_error("sk_alloc on proto \"" + std::string(prot.name) +
                               "\", which was never proto_register()ed (name it in the family's protocol table)");
    }

    ptr_index index_;
    std::vector<std::unique_ptr<proto_state>> protos_;
    mutable const proto* last_prot_ = nullptr;
    mutable proto_state* last_ = nullptr;
};

// sock_prot_inuse_add: /proc/net/sockstat's per-proto count.
// Under lock::smp: per CPU for init_net (this_cpu_add on net->core.prot_inuse),
// atomic for other namespaces.
template <class K>
inline void sock_prot_inuse_add(context<K>& cx, net& n, const sock& sk, long val)
{
    const auto idx = static_cast<std::size_t>(sk.sk_prot_state->inuse_idx);
    if constexpr (K::locked) {
        if (&n == &cx.k.init_net)
            cx.current.cpu->prot_inuse[idx].add(val);
        else
            std::atomic_ref<long>(n.prot_inuse[idx]).fetch_add(val, std::memory_order_relaxed);
    } else {
        n.prot_inuse[idx] += val;
    }
}

// atomic_long_add_return on a kernel-wide count (unix_nr_socks, ...): a plain
// add under lock::none.
template <class K>
inline long kernel_atomic_add(long& v, long d)
{
    if constexpr (K::locked)
        return std::atomic_ref<long>(v).fetch_add(d, std::memory_order_relaxed) + d;
    else
        return v += d;
}

// sock_inuse_add and the netns reference, per the lock policy.
template <class K>
inline void sock_net_count(context<K>& cx, net& n, long& counter, pcpu_long cpu_area::*percpu, long val)
{
    if constexpr (K::locked) {
        if (&n == &cx.k.init_net)
            (cx.current.cpu->*percpu).add(val);
        else
            std::atomic_ref<long>(counter).fetch_add(val, std::memory_order_relaxed);
    } else {
        counter += val;
    }
}

// sk_prot_alloc: a zeroed object from the proto's cache, then the owner's module.
template <class K>
sock* sk_prot_alloc(context<K>& cx, const proto& prot)
{
    auto t = trace::enter(cx, "sk_prot_alloc");
    if constexpr (trace::on<decltype(cx)>) t.describe([&] { return std::string(prot.name); });
    proto_state& ps = [&]() -> proto_state& {
        if constexpr (K::locked)
            if (proto_state* found = cx.k.protos.find_uncached(prot))
                return *found;
        return cx.k.protos.get(prot);
    }();
    void* mem = nullptr;
    if constexpr (K::locked) {
        if (!should_fail(cx, fault_point::sk_prot_alloc))
            mem = cx.k.smp.cache_alloc(*cx.current.cpu, pcpu_cache::proto_base + static_cast<unsigned>(ps.inuse_idx),
                                       ps.slab);
    } else {
        mem = should_fail(cx, fault_point::sk_prot_alloc) ? nullptr : ps.slab.alloc();
    }
    if (!mem)
        return t.ret_ptr(static_cast<sock*>(nullptr));
    sock* sk = prot.obj.construct(mem);
    sk->sk_prot_state = &ps;
    if (should_fail(cx, fault_point::prot_module_get) || !try_module_get(cx.k, prot.owner)) {
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, "sk_prot_alloc", [] { return std::string("try_module_get(prot->owner) failed"); });
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, "sk_prot_alloc", [] { return std::string("goto out_free: sk_prot_clear/kmem_cache_free the sock"); });
        prot.obj.destroy(sk);
        if constexpr (K::locked)
            cx.k.smp.cache_free(*cx.current.cpu, pcpu_cache::proto_base + static_cast<unsigned>(ps.inuse_idx),
                                ps.slab, mem);
        else
            ps.slab.free(mem);
        return t.ret_ptr(static_cast<sock*>(nullptr));
    }
    return t.ret_ptr(sk);
}

// sk_prot_free: back to the cache, and the module reference dropped.
template <class K>
void sk_prot_free(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "sk_prot_free");
    if constexpr (trace::on<decltype(cx)>) t.describe([&] { return std::string(sk.sk_prot_creator->name); });
    const proto& prot = *sk.sk_prot_creator;
    proto_state& ps = *sk.sk_prot_state;
    prot.obj.destroy(&sk);
    if constexpr (K::locked)
        cx.k.smp.cache_free(*cx.current.cpu, pcpu_cache::proto_base + static_cast<unsigned>(ps.inuse_idx), ps.slab,
                            static_cast<void*>(&sk));
    else
        ps.slab.free(&sk);
    module_put(cx.k, prot.owner);
}

template <class K>
inline sock* sk_alloc(context<K>& cx, net& n, int family, const proto& prot, int kern)
{
    auto t = trace::enter(cx, "sk_alloc");
    if constexpr (trace::on<decltype(cx)>) t.describe([&] { return std::string(prot.name); });
    sock* sk = sk_prot_alloc(cx, prot);
    if (!sk)
        return t.ret_ptr(sk);
    sk->sk_family = static_cast<unsigned short>(family);
    sk->sk_prot = sk->sk_prot_creator = &prot;
    sk->sk_kern_sock = kern != 0;
    sk->sk_net_refcnt = kern == 0;  // kernel sockets do not pin their netns
    sk->sk_net = &n;
    if (sk->sk_net_refcnt) {
        sock_net_count(cx, n, n.refcount, &cpu_area::net_refcount, 1);
        sock_net_count(cx, n, n.sock_inuse, &cpu_area::sock_inuse, 1);
    }
    sk->sk_wmem_alloc = 1;
    return t.ret_ptr(sk);
}

// sock_init_data_uid with the owner of the socket's inode.
template <class K>
void sock_init_data(context<K>& cx, socket* sock, struct sock& sk)
{
    auto t = trace::enter(cx, "sock_init_data");
    sk.sk_state = tcp_close_state;
    if constexpr (K::locked) {  // READ_ONCE(sysctl_rmem_default): a writer may be storing it
        sk.sk_rcvbuf = sk.sk_net->sysctl_once(&net_sysctl::rmem_default);
        sk.sk_sndbuf = sk.sk_net->sysctl_once(&net_sysctl::wmem_default);
    } else {
        sk.sk_rcvbuf = sk.sk_net->sysctl.rmem_default;
        sk.sk_sndbuf = sk.sk_net->sysctl.wmem_default;
    }
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
void __sk_destruct(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "__sk_destruct");
    if (sk.sk_destruct)
        sk.sk_destruct(&cx, sk);
    if (sk.sk_net_refcnt)
        sock_net_count(cx, *sk.sk_net, sk.sk_net->refcount, &cpu_area::net_refcount, -1);
    sk_prot_free(cx, sk);
}

// __sk_free → sk_destruct. SOCK_RCU_FREE sockets are freed after a grace
// period in the kernel; nothing in the model can still be reading them.
template <class K>
void __sk_free(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "__sk_free");
    if (sk.sk_net_refcnt)
        sock_net_count(cx, *sk.sk_net, sk.sk_net->sock_inuse, &cpu_area::sock_inuse, -1);
    if (sk.flag(sock_flag::rcu_free))
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, "__sk_free", [] { return std::string("SOCK_RCU_FREE: destruct after an RCU grace period"); });
    __sk_destruct(cx, sk);
}

template <class K>
void sk_free(context<K>& cx, sock& sk)
{
    if (--sk.sk_wmem_alloc == 0)
        __sk_free(cx, sk);
}

template <class K>
void sock_put(context<K>& cx, sock& sk)
{
    if (--sk.sk_refcnt == 0)
        sk_free(cx, sk);
}

inline void sock_hold(sock& sk) { ++sk.sk_refcnt; }

// sock_orphan: the sock outlives its socket from here on.
inline void sock_orphan(sock& sk)
{
    sk.set_flag(sock_flag::dead);
    sk.sk_socket = nullptr;
    sk.sk_wq = nullptr;
}

// The close of a proto whose kernel table leaves .close NULL (packet_proto,
// netlink_proto, vsock_proto, xsk_proto): their families' release functions
// never call sk_prot->close. The model wants every proto to name a close
// (proto_complete, for inet_release, which calls it unchecked), so these name
// this one, which reports the call as the bug it would be.
template <class K>
void sk_prot_no_close(context<K>&, sock& sk, long)
{
    throw std::logic_error("sk_prot->close called on proto \"" + std::string(sk.sk_prot->name) +
                           "\", whose kernel table has no close (its family's release never calls it)");
}

// sk_common_release: what udp/raw/ping close and inet_create's error path share.
template <class K>
void sk_common_release(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "sk_common_release");
    if (sk.sk_prot->destroy)
        sk.sk_prot->destroy(&cx, sk);
    if (sk.sk_prot->unhash)
        sk.sk_prot->unhash(&cx, sk);
    if (sk.sk_socket)
        sk.sk_socket->sk = nullptr;
    sock_orphan(sk);
    sock_put(cx, sk);
}

}  // namespace sockmodel
