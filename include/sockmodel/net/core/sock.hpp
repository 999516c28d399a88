// net/core/sock.c: the proto registry (proto_register), allocating and
// initialising a struct sock, the reference counts that free it,
// sk_common_release, and the per-netns in-use counters.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/fs/inode.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/module.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/lib/ptr_index.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/percpu.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/mm/slab.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/net/sock.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>
#include <sockmodel/uapi/in.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>
#include <span>

namespace sockmodel {

// Fault points (fault/fault.hpp) of this file's functions.
namespace fault_point {
inline constexpr fault_point_info sk_prot_alloc{.name = "sk_prot_alloc", .fn = "sk_prot_alloc", .what = "the proto's slab: kmem_cache_alloc returns NULL", .err = -ENOMEM};
inline constexpr fault_point_info prot_module_get{.name = "prot_module_get", .fn = "sk_prot_alloc", .what = "try_module_get(prot->owner) fails", .err = -ENOMEM};
}  // namespace fault_point

// What proto_register(prot, alloc_slab=1) leaves behind for one proto in one
// kernel: the fields the kernel writes into struct proto itself.
struct proto_state {
    const proto* prot;
    kmem_cache slab;  // prot->slab
    int inuse_idx;    // prot->inuse_idx, from assign_proto_idx

    proto_state(const proto& p, int idx) : prot(&p), slab(p.name, p.obj.size, p.obj.align), inuse_idx(idx) {}
};

// proto_list: every registered proto, found by its address in O(1), in fixed
// storage of PROTO_INUSE_NR entries (assign_proto_idx's limit) that is never
// reallocated: under lock::smp readers take no lock while proto_register adds
// one under proto_list_mutex.
template <class L, bug_policy OnBug = bug_policy::throw_error>
class proto_list {
public:
    static constexpr int capacity = net::proto_inuse_nr;  // PROTO_INUSE_NR

    proto_list() = default;
    proto_list(const proto_list&) = delete;
    proto_list& operator=(const proto_list&) = delete;
    ~proto_list()
    {
        for (proto_state* p : all())
            delete p;
    }

    // proto_register: the slab, the in-use index (-ENOSPC when PROTO_INUSE_NR
    // are taken, as assign_proto_idx answers) and the owner module. A proto
    // already registered is left as it is (families may share one).
    template <class Modules>
    int proto_register(const proto& prot, Modules& modules)
    {
        auto proto_list_mutex = guard(L{}, proto_list_mutex_);
        if (find(prot))
            return 0;
        const int idx = count_;
        if (idx >= capacity)
            return -ENOSPC;
        rcu_assign_pointer(L{}, protos_[static_cast<std::size_t>(idx)], new proto_state(prot, idx));
        index_.insert(L{}, &prot, idx);  // twice PROTO_INUSE_NR slots: never full here
        store_release(L{}, count_, idx + 1);
        modules.load(prot.owner);
        return 0;
    }

    proto_state* find(const proto& prot) const
    {
        const int i = index_.find(L{}, &prot);
        return i == decltype(index_)::none ? nullptr : rcu_dereference(L{}, protos_[static_cast<std::size_t>(i)]);
    }

    // The registered proto sk_alloc draws from (the CPU's last answer first:
    // the common case); a proto nobody registered is a bug in the family that
    // chose it.
    template <class Cx>
    proto_state& get(Cx& cx, const proto& prot) const
    {
        lookup_cache& last = this_cpu_proto_cache(cx);
        if (last.key == &prot)
            return *static_cast<proto_state*>(last.value);
        proto_state* s = find(prot);
        if (!s)
            unregistered(prot);
        last = {&prot, s};
        return *s;
    }

    // Is p a live sock of one of the registered protos (not freed, not foreign)?
    bool owns_live(const void* p) const
    {
        for (const proto_state* ps : all())
            if (ps->slab.owns_live(p))
                return true;
        return false;
    }

    std::size_t socks_in_use() const
    {
        std::size_t n = 0;
        for (const proto_state* ps : all())
            n += ps->slab.active_objs();
        return n;
    }

    // The registered protos, in registration order.
    std::span<proto_state* const> all() const
    {
        return {protos_.data(), static_cast<std::size_t>(load_acquire(L{}, count_))};
    }

private:
    [[noreturn, gnu::cold, gnu::noinline]] static void unregistered(const proto& prot)
    {
        kernel_bug<OnBug>("sk_alloc on proto \"" + kstring(prot.name) +
                          "\", which was never proto_register()ed (name it in the family's protocol table)");
    }

    mutex proto_list_mutex_;
    ptr_index<2 * capacity> index_;
    std::array<proto_state*, capacity> protos_{};
    int count_ = 0;
};

// sock_prot_inuse_add: /proc/net/sockstat's per-proto count (this_cpu_add
// on net->core.prot_inuse).
template <class K>
inline void sock_prot_inuse_add(context<K>& cx, net& n, const sock& sk, long val)
{
    const auto idx = static_cast<unsigned>(sk.sk_prot_state->inuse_idx);
    net_counter_add(cx, &n == &cx.k.init_net, pcpu_net::prot_inuse_base + idx, n.prot_inuse[idx], val);
}

// sock_inuse_add and the netns reference (get_net_track / put_net_track).
template <class K>
inline void sock_net_count(context<K>& cx, net& n, unsigned slot, long val)
{
    atomic_long_t& shared = slot == pcpu_net::refcount ? n.refcount : n.sock_inuse;
    net_counter_add(cx, &n == &cx.k.init_net, slot, shared, val);
}

// sk_prot_alloc: a zeroed object from the proto's cache, then the owner's module.
template <class K>
sock* sk_prot_alloc(context<K>& cx, const proto& prot)
{
    auto t = trace::enter(cx, "sk_prot_alloc");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return kstring(prot.name); });
    proto_state& ps = cx.k.protos.get(cx, prot);
    const unsigned cache = pcpu_cache::proto_base + static_cast<unsigned>(ps.inuse_idx);
    void* mem = should_fail<&fault_point::sk_prot_alloc>(cx) ? nullptr : kmem_cache_alloc(cx, cache, ps.slab);
    if (!mem)
        return t.ret_ptr(static_cast<sock*>(nullptr));
    sock* sk = prot.obj.construct(mem);
    sk->sk_prot_state = &ps;
    if (should_fail<&fault_point::prot_module_get>(cx) || !try_module_get(cx.k, prot.owner)) {
        SOCKMODEL_TRACE_NOTE(cx, "sk_prot_alloc", [] { return kstring("try_module_get(prot->owner) failed"); });
        SOCKMODEL_TRACE_NOTE(cx, "sk_prot_alloc", [] { return kstring("goto out_free: sk_prot_clear/kmem_cache_free the sock"); });
        prot.obj.destroy(sk);
        kmem_cache_free(cx, cache, ps.slab, mem);
        return t.ret_ptr(static_cast<sock*>(nullptr));
    }
    return t.ret_ptr(sk);
}

// sk_prot_free: back to the cache, and the module reference dropped.
template <class K>
void sk_prot_free(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "sk_prot_free");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return kstring(sk.sk_prot_creator->name); });
    const proto& prot = *sk.sk_prot_creator;
    proto_state& ps = *sk.sk_prot_state;
    prot.obj.destroy(&sk);
    kmem_cache_free(cx, pcpu_cache::proto_base + static_cast<unsigned>(ps.inuse_idx), ps.slab, static_cast<void*>(&sk));
    module_put(cx.k, prot.owner);
}

template <class K>
inline sock* sk_alloc(context<K>& cx, net& n, int family, const proto& prot, int kern)
{
    auto t = trace::enter(cx, "sk_alloc");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return kstring(prot.name); });
    sock* sk = sk_prot_alloc(cx, prot);
    if (!sk)
        return t.ret_ptr(sk);
    sk->sk_family = static_cast<unsigned short>(family);
    sk->sk_prot = sk->sk_prot_creator = &prot;
    sk->sk_kern_sock = kern != 0;
    sk->sk_net_refcnt = kern == 0;  // kernel sockets do not pin their netns
    sk->sk_net = &n;
    if (sk->sk_net_refcnt) {
        sock_net_count(cx, n, pcpu_net::refcount, 1);
        sock_net_count(cx, n, pcpu_net::sock_inuse, 1);
    }
    refcount_set(cx, sk->sk_wmem_alloc, 1);
    return t.ret_ptr(sk);
}

// sock_init_data_uid with the owner of the socket's inode.
template <class K>
void sock_init_data(context<K>& cx, socket* sock, struct sock& sk)
{
    auto t = trace::enter(cx, "sock_init_data");
    sk.sk_state = tcp_close_state;
    sk.sk_rcvbuf = read_once(cx, sk.sk_net->sysctl.rmem_default);
    sk.sk_sndbuf = read_once(cx, sk.sk_net->sysctl.wmem_default);
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
    refcount_set(cx, sk.sk_refcnt, 1);
}

// __sk_destruct: the family's destructor, the netns reference, the memory.
template <class K>
void __sk_destruct(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "__sk_destruct");
    if (sk.sk_destruct)
        sk.sk_destruct(&cx, sk);
    if (sk.sk_net_refcnt)
        sock_net_count(cx, *sk.sk_net, pcpu_net::refcount, -1);
    sk_prot_free(cx, sk);
}

// __sk_free → sk_destruct. SOCK_RCU_FREE sockets are freed after a grace
// period in the kernel; nothing in the model can still be reading them.
template <class K>
void __sk_free(context<K>& cx, sock& sk)
{
    auto t = trace::enter(cx, "__sk_free");
    if (sk.sk_net_refcnt)
        sock_net_count(cx, *sk.sk_net, pcpu_net::sock_inuse, -1);
    if (sk.flag(sock_flag::rcu_free))
        SOCKMODEL_TRACE_NOTE(cx, "__sk_free", [] { return kstring("SOCK_RCU_FREE: destruct after an RCU grace period"); });
    __sk_destruct(cx, sk);
}

template <class K>
void sk_free(context<K>& cx, sock& sk)
{
    if (refcount_dec_and_test(cx, sk.sk_wmem_alloc))
        __sk_free(cx, sk);
}

template <class K>
void sock_put(context<K>& cx, sock& sk)
{
    if (refcount_dec_and_test(cx, sk.sk_refcnt))
        sk_free(cx, sk);
}

template <class K>
void sock_hold(context<K>& cx, sock& sk)
{
    refcount_inc(cx, sk.sk_refcnt);
}

// __sock_put: a reference dropped that is never the last one.
template <class K>
void __sock_put(context<K>& cx, sock& sk)
{
    refcount_dec(cx, sk.sk_refcnt);
}

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
    kernel_bug<K>("sk_prot->close called on proto \"" + kstring(sk.sk_prot->name) +
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

// sk_getsockopt: a SOL_SOCKET option, as the ABI numbers it
// (arch::sockopt_of). optlen is read first (-EFAULT when it cannot be, -EINVAL
// when negative); each option has its value's size (lv: an int, a struct
// linger, a timeval, ...), the value is truncated to the caller's optlen and
// optlen is written back with what was copied. A null optval or optlen
// stands for a pointer the kernel cannot copy to or from (-EFAULT, where the
// copy is: a copy of 0 bytes never faults). Values come from the sock (its
// type, protocol, family, buffers, state, peer credentials, the sysctls
// sock_init_data and the protos copied) or are what a new sock starts with:
// the model has no setsockopt, so a flag nobody can set is 0. The ones the
// host decides at run time (SO_COOKIE, SO_NETNS_COOKIE, SO_PEERPIDFD) are
// answered with their checks and a 0 value (docs/differences.md).
template <class A, class Cx>
int sk_getsockopt(Cx& cx, const struct socket& skt, const struct sock& sk, int optname, void* optval, int* optlen)
{
    using arch::so;
    if (!optlen)
        return -EFAULT;
    int len = *optlen;
    if (len < 0)
        return -EINVAL;
    union {
        int val;
        std::uint64_t val64;
        unsigned char bytes[40];
    } v{};
    int lv = sizeof(int);
    const auto copy_out = [&](const void* from, int n) {
        if (n > 0 && !optval)
            return false;
        if (n > 0)
            std::memcpy(optval, from, static_cast<std::size_t>(n));
        return true;
    };
    const user_namespace& current_ns = *cx.current.cred.user_ns;
    const cred* peer_cred = sk.sk_prot->peer_cred.is_set() ? sk.sk_prot->peer_cred(sk) : nullptr;
    const bool tcp_buffers = sk.sk_prot->tcp_buffers;
    const int sndbuf = tcp_buffers ? read_once(cx, sk.sk_net->sysctl.tcp_wmem_default) : sk.sk_sndbuf;
    const int rcvbuf = tcp_buffers ? read_once(cx, sk.sk_net->sysctl.tcp_rmem_default) : sk.sk_rcvbuf;
    const bool is_unix = sk.sk_family == af_unix;
    const bool may_scm_creds = is_unix || sk.sk_family == af_netlink;  // sk_may_scm_creds
    const bool is_tcp = (sk.sk_family == af_inet || sk.sk_family == af_inet6) && sk.sk_type == A::sock_stream &&
                        sk.sk_protocol == ipproto_tcp;  // sk_is_tcp
    switch (arch::sockopt_of<A>(optname)) {
    // Flags and numbers no call of the model changes from their start.
    case so::debug: case so::dontroute: case so::broadcast: case so::keepalive:
    case so::oobinline: case so::no_check: case so::priority: case so::bsdcompat: case so::reuseport:
    case so::timestamp_old: case so::timestampns_old: case so::mark: case so::rxq_ovfl: case so::wifi_status:
    case so::nofcs: case so::lock_filter: case so::select_err_queue: case so::busy_poll:
    case so::incoming_napi_id: case so::zerocopy: case so::bindtoifindex: case so::timestamp_new:
    case so::timestampns_new: case so::prefer_busy_poll: case so::buf_lock: case so::reserve_mem:
    case so::rcvmark: case so::rcvpriority:
        break;
    case so::reuseaddr: v.val = sk.sk_reuse; break;  // INET_PROTOSW_REUSE (raw)
    case so::type: v.val = sk.sk_type; break;
    case so::protocol: v.val = sk.sk_protocol; break;
    case so::domain: v.val = sk.sk_family; break;
    case so::error: break;  // -sock_error(sk), then sk_err_soft: nothing has failed
    case so::sndbuf: v.val = sndbuf; break;
    case so::rcvbuf: v.val = rcvbuf; break;
    case so::acceptconn: v.val = 0; break;  // sk_state == TCP_LISTEN: the model has no listen
    case so::rcvlowat: v.val = sk.sk_rcvlowat; break;
    case so::sndlowat: v.val = 1; break;
    case so::incoming_cpu: v.val = sk.sk_incoming_cpu; break;
    case so::bpf_extensions: v.val = 64; break;  // bpf_tell_extensions: SKF_AD_MAX
    case so::linger: lv = 8; v.val = sk.flag(sock_flag::linger); break;  // struct linger {l_onoff, l_linger}
    case so::rcvtimeo_old: case so::sndtimeo_old: case so::rcvtimeo_new: case so::sndtimeo_new:
        lv = 16;  // sock_get_timeout: MAX_SCHEDULE_TIMEOUT reads as {0, 0}
        break;
    case so::timestamping_old: case so::timestamping_new: lv = 8; break;  // struct so_timestamping
    case so::txtime: lv = 8; break;                                         // struct sock_txtime
    case so::max_pacing_rate:  // sk_max_pacing_rate: ~0UL, as a long when there is room for one
        if (len >= 8) {
            lv = 8;
            v.val64 = ~std::uint64_t{0};
        } else {
            v.val = -1;
        }
        break;
    case so::peek_off:
        if (!skt.ops->set_peek_off)
            return -EOPNOTSUPP;
        v.val = sk.sk_peek_off;
        break;
    case so::passcred: case so::passsec:
        if (!may_scm_creds)
            return -EOPNOTSUPP;
        break;
    case so::passpidfd:
        if (!is_unix)
            return -EOPNOTSUPP;
        break;
    case so::passrights:
        if (!is_unix)
            return -EOPNOTSUPP;
        v.val = 1;  // sk_scm_rights: set by unix_create1
        break;
    case so::txrehash:
        if (!is_tcp)
            return -EOPNOTSUPP;
        v.val = read_once(cx, sk.sk_net->sysctl.txrehash);
        break;
    case so::peersec: return -ENOPROTOOPT;  // security_socket_getpeersec_stream: no LSM answers
    case so::bindtodevice:                  // sock_getbindtodevice: not bound, nothing copied
    case so::get_filter:                    // sk_get_filter: no filter attached
        len = 0;
        *optlen = len;
        return 0;
    case so::peercred: {  // cred_to_ucred: {pid, uid, gid}; no peer: {0, -1, -1}
        struct {
            int pid;
            unsigned uid, gid;
        } ucred{0, invalid_id, invalid_id};
        if (peer_cred) {
            ucred.pid = static_cast<int>(cx.current.tgid);  // the creator's; a pid of the model
            ucred.uid = from_kuid_munged(current_ns, peer_cred->euid);
            ucred.gid = from_kgid_munged(current_ns, peer_cred->egid);
        }
        if (len > static_cast<int>(sizeof ucred))
            len = sizeof ucred;
        if (!copy_out(&ucred, len))
            return -EFAULT;
        *optlen = len;
        return 0;
    }
    case so::peergroups: {
        if (!peer_cred)
            return -ENODATA;
        const auto& groups = peer_cred->group_info;
        const int n = static_cast<int>(groups.size() * sizeof(kgid_t));
        if (len < n) {
            *optlen = n;
            return -ERANGE;
        }
        std::vector<unsigned> out;
        for (kgid_t g : groups)
            out.push_back(from_kgid_munged(current_ns, g));
        if (!copy_out(out.data(), n))
            return -EFAULT;
        *optlen = n;
        return 0;
    }
    case so::peername: {  // ops->getname(sock, addr, peer): netlink's is its 12 bytes, a connected unix's 2
        unsigned char addr[12] = {};
        int alen = -ENOTCONN;
        if (sk.sk_family == af_netlink)
            alen = 12;
        else if (is_unix && sk.sk_state == tcp_established_state)
            alen = 2;
        if (alen < 0)
            return -ENOTCONN;
        addr[0] = static_cast<unsigned char>(sk.sk_family);
        if (alen < len)
            return -EINVAL;
        if (!copy_out(addr, len))
            return -EFAULT;
        *optlen = len;
        return 0;
    }
    case so::meminfo: {  // sk_get_meminfo: SK_MEMINFO_VARS u32s; only the buffers are not 0
        std::uint32_t mem[9] = {};
        mem[1] = static_cast<std::uint32_t>(rcvbuf);
        mem[3] = static_cast<std::uint32_t>(sndbuf);
        if (len > static_cast<int>(sizeof mem))
            len = sizeof mem;
        if (!copy_out(mem, len))
            return -EFAULT;
        *optlen = len;
        return 0;
    }
    case so::cookie:  // sock_gen_cookie: the host's counter (0 here)
        lv = 8;
        if (len < lv)
            return -EINVAL;
        break;
    case so::netns_cookie:  // the netns's cookie (0 here)
        lv = 8;
        if (len != lv)
            return -EINVAL;
        break;
    case so::peerpidfd:  // a new pidfd of the peer: the model has none
        return -ENODATA;
    case so::none:
    default:
        return -ENOPROTOOPT;
    }
    if (len > lv)
        len = lv;
    if (!copy_out(v.bytes, len))
        return -EFAULT;
    *optlen = len;
    return 0;
}

// A level other than SOL_SOCKET: the ops' getsockopt, or EOPNOTSUPP where
// the table has none (unix, SOCK_PACKET). The model keeps no protocol-level
// option: the proto answers for one it does not know, by level.
inline int sock_proto_getsockopt(const struct socket& skt, const struct sock& sk, int level)
{
    if (skt.ops->getsockopt.no_errno)
        return skt.ops->getsockopt.no_errno;
    for (int l : sk.sk_prot->getsockopt_levels)
        if (l == level)
            return sk.sk_prot->getsockopt_own;
    return sk.sk_prot->getsockopt_other_level;
}

}  // namespace sockmodel
