// net/socket.c: socket(2) from the system call down to the family's create
// function and back out through sock_map_fd, and the release side that close(2)
// reaches through sock_close.
//
// Every function is the kernel function of the same name (the reserved-looking
// double underscores included, so a reader of net/socket.c finds them). The
// pure decisions are constexpr functions that the path calls and that
// verdict.hpp composes for static_assert.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/fs/file.hpp>
#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/fs/inode.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/err.hpp>
#include <sockmodel/linux/fs.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/percpu.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/mm/slab.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/sock.hpp>
#include <sockmodel/security/security.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>

#include <array>
#include <new>

namespace sockmodel {

// Fault points (fault/fault.hpp) of this file's functions.
namespace fault_point {
inline constexpr fault_point_info sock_alloc{.name = "sock_alloc", .fn = "sock_alloc", .what = "sock_inode_cache: kmem_cache_alloc returns NULL", .err = -ENFILE};
inline constexpr fault_point_info pf_module_get{.name = "pf_module_get", .fn = "__sock_create", .what = "try_module_get(pf->owner) fails", .err = -EAFNOSUPPORT};
inline constexpr fault_point_info ops_module_get{.name = "ops_module_get", .fn = "__sock_create", .what = "try_module_get(sock->ops->owner) fails", .err = -EAFNOSUPPORT};
}  // namespace fault_point

// The path's own points in the order socket() reaches them: every kernel's
// fault table starts with these, then its families' (kernel::fault_table).
using path_fault_points =
    fault::point_list<&fault_point::security_socket_create, &fault_point::sock_alloc, &fault_point::pf_module_get,
                      &fault_point::sk_prot_alloc, &fault_point::prot_module_get, &fault_point::ops_module_get,
                      &fault_point::security_socket_post_create, &fault_point::alloc_fd, &fault_point::expand_files,
                      &fault_point::d_alloc_pseudo, &fault_point::file_max, &fault_point::filp_cache>;

// ---------------------------------------------------------------------------
// Pure decisions.

// __sys_socket_create: bits outside SOCK_TYPE_MASK other than the two flags.
template <arch::socket_abi A>
constexpr int sock_check_type_flags(int type)
{
    return ((type & ~A::sock_type_mask) & ~(A::sock_cloexec | A::sock_nonblock)) ? -EINVAL : 0;
}

template <arch::socket_abi A>
constexpr int sock_mask_type(int type) { return type & A::sock_type_mask; }

// __sys_socket: the file flags sock_map_fd gets, SOCK_NONBLOCK translated to
// O_NONBLOCK where an architecture gives them different bits.
template <arch::socket_abi A>
constexpr int sock_file_flags(int type)
{
    int flags = type & ~A::sock_type_mask;
    if constexpr (A::sock_nonblock != A::o_nonblock)
        if (flags & A::sock_nonblock)
            flags = (flags & ~A::sock_nonblock) | A::o_nonblock;
    return flags & (A::o_cloexec | A::o_nonblock);
}

// __sock_create's range checks, family first.
template <arch::socket_abi A>
constexpr int sock_check_ranges(int family, int type)
{
    if (family < 0 || family >= A::nproto)
        return -EAFNOSUPPORT;
    if (type < 0 || type >= A::sock_max)
        return -EINVAL;
    return 0;
}

// __sock_create: (PF_INET, SOCK_PACKET) is the obsolete spelling of PF_PACKET.
template <arch::socket_abi A>
constexpr int sock_rewrite_family(int family, int type)
{
    return family == af_inet && type == A::sock_packet ? af_packet : family;
}

// ---------------------------------------------------------------------------
// sockfs

// sockfs's state: sock_inode_cachep and the inode numbers get_next_ino hands
// out (fs/inode.c; sockfs is their only user in the model).
class sockfs {
public:
    kmem_cache& cache() { return inode_cache_; }
    const kmem_cache& cache() const { return inode_cache_; }
    // get_next_ino's shared counter (fs/inode.c; sockfs is its only user here).
    basic_atomic<unsigned>& shared_last_ino() { return shared_last_ino_; }

private:
    kmem_cache inode_cache_{"sock_inode_cache", sizeof(socket_alloc), alignof(socket_alloc)};
    basic_atomic<unsigned> shared_last_ino_;
};

// sockfs_ops.free_inode (sock_free_inode): back to the cache, after RCU.
template <class K>
void sock_free_inode(context<K>& cx, inode& i)
{
    socket_alloc* ei = &container_of(i, &socket_alloc::vfs_inode);
    ei->~socket_alloc();
    kmem_cache_free(cx, pcpu_cache::sock_inode, cx.k.sockfs.cache(), ei);
}

// sock_alloc: a socket_alloc from sock_inode_cachep (sock_alloc_inode), then
// the inode fields new_inode_pseudo leaves to it.
template <class K>
socket* sock_alloc(context<K>& cx)
{
    auto t = trace::enter(cx, "sock_alloc");
    void* mem = should_fail<&fault_point::sock_alloc>(cx) ? nullptr
                                                         : kmem_cache_alloc(cx, pcpu_cache::sock_inode, cx.k.sockfs.cache());
    if (!mem)
        return t.ret_ptr(static_cast<socket*>(nullptr));
    socket_alloc* ei = ::new (mem) socket_alloc();
    inode& i = ei->vfs_inode;
    i.free_inode = &kernel_fn<K, &sock_free_inode<K>>::call;
    i.i_ino = get_next_ino(cx, this_cpu_last_ino(cx), cx.k.sockfs.shared_last_ino());
    i.i_mode = s_ifsock | s_irwxugo;
    i.i_uid = cx.current.cred.fsuid;
    i.i_gid = cx.current.cred.fsgid;
    SOCKMODEL_TRACE_NOTE(cx, "sock_alloc", [&] { return "inode " + to_kstring(i.i_ino) + ", mode 0140777"; });
    return t.ret_ptr(&ei->socket);
}

// __sock_release: the family's release, its module reference, and the inode
// unless a file still owns it.
template <class K>
void __sock_release(context<K>& cx, socket& sock, inode* i)
{
    auto t = trace::enter(cx, "__sock_release");
    if (const proto_ops* ops = sock.ops) {
        const module* owner = ops->owner;
        SOCKMODEL_TRACE_NOTE(cx, "__sock_release", [&] { return kstring(ops->name) + "->release"; });
        ops->release(&cx, sock);
        sock.sk = nullptr;
        sock.ops = nullptr;
        module_put(cx.k, owner);
    }
    (void)i;  // the inode lock the kernel takes when called from sock_close
    if (!sock.file) {
        iput(cx, SOCK_INODE(sock));
        return;
    }
    sock.file = nullptr;  // the dentry still holds the inode; __fput drops it
}

template <class K>
void sock_release(context<K>& cx, socket& sock)
{
    auto t = trace::enter(cx, "sock_release");
    __sock_release(cx, sock, nullptr);
}

// socket_file_ops.release
template <class K>
int sock_close(context<K>& cx, inode& i, file&)
{
    auto t = trace::enter(cx, "sock_close");
    __sock_release(cx, SOCKET_I(i), &i);
    return t.ret(0);
}

template <class K>
inline constexpr file_operations socket_file_ops{"socket_file_ops", &kernel_fn<K, &sock_close<K>>::call};

// ---------------------------------------------------------------------------
// Families

// net_families[]: one entry per family number, NULL where none is registered.
// Writers hold net_family_lock; readers take an entry under rcu_read_lock
// (rcu_dereference), and sock_unregister waits for a grace period before the
// family's module may go.
template <int Nproto, class L>
class net_families_table {
public:
    const net_proto_family* get(int family) const
    {
        return rcu_dereference(L{}, table_[static_cast<unsigned>(family)]);
    }
    bool set(const net_proto_family* ops)
    {
        const net_proto_family*& slot = table_[static_cast<unsigned>(ops->family)];
        if (slot)
            return false;
        rcu_assign_pointer(L{}, slot, ops);
        return true;
    }
    void clear(int family) { rcu_assign_pointer(L{}, table_[static_cast<unsigned>(family)], static_cast<const net_proto_family*>(nullptr)); }

    mutex net_family_lock;  // sock_register / sock_unregister

private:
    std::array<const net_proto_family*, Nproto> table_{};
};

template <class K>
int sock_register(context<K>& cx, const net_proto_family* ops)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "sock_register");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_family(ops->family); });
    if (ops->family < 0)
        kernel_bug<K>("sock_register: negative family (the kernel would index net_families[] out of bounds)");
    if (ops->family >= abi::nproto)
        return t.ret(-ENOBUFS);
    int err = 0;
    auto net_family_lock = guard(cx, cx.k.net_families.net_family_lock);
    if (!cx.k.net_families.set(ops))
        err = -EEXIST;
    else
        cx.k.modules.load(ops->owner);
    SOCKMODEL_TRACE_NOTE(cx, "sock_register", [&] { return "NET: Registered " + trace::decode_family(ops->family) + " protocol family"; });
    return t.ret(err);
}

template <class K>
void sock_unregister(context<K>& cx, int family)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "sock_unregister");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_family(family); });
    if (family < 0 || family >= abi::nproto)
        kernel_bug<K>("sock_unregister: family out of range (BUG_ON in net/socket.c)");
    {
        auto net_family_lock = guard(cx, cx.k.net_families.net_family_lock);
        cx.k.net_families.clear(family);
    }
    synchronize_rcu(cx);  // no reader still holds the old entry
    SOCKMODEL_TRACE_NOTE(cx, "sock_unregister", [&] { return "NET: Unregistered " + trace::decode_family(family) + " protocol family"; });
}

// ---------------------------------------------------------------------------
// Creation

// What this call took once the family's create has run, released (the sk,
// when it is still a live object of a registered proto, by its reference;
// the family's module reference; the socket and its inode): when the create
// broke a rule __sock_create relies on (the kernel would WARN or dereference
// NULL), before the configuration's bug policy reports the rule; and when the
// create threw (a family of the user's), before the exception goes on. The
// family releases what it took itself (docs/families.md).
template <class K>
[[gnu::cold, gnu::noinline]] void __sock_create_unwind(context<K>& cx, socket& sock, const net_proto_family& pf)
{
    if (struct sock* sk = sock.sk) {
        sock.sk = nullptr;
        if (cx.k.protos.owns_live(sk)) {
            sock_orphan(*sk);
            sock_put(cx, *sk);
        }
    }
    sock.ops = nullptr;
    module_put(cx.k, pf.owner);
    sock_release(cx, sock);
}

template <class K>
[[noreturn, gnu::cold, gnu::noinline]] void __sock_create_bug(context<K>& cx, socket& sock, const net_proto_family& pf,
                                                             const char* rule)
{
    __sock_create_unwind(cx, sock, pf);
    kernel_bug<K>(rule);
}

// __sock_create's unwinding labels, in the order they fall through.
enum class sock_create_label { none, out_module_busy, out_module_put, out_sock_release, out_release };

constexpr std::string_view label_name(sock_create_label l)
{
    switch (l) {
    case sock_create_label::out_module_busy: return "out_module_busy";
    case sock_create_label::out_module_put: return "out_module_put";
    case sock_create_label::out_sock_release: return "out_sock_release";
    case sock_create_label::out_release: return "out_release";
    case sock_create_label::none: break;
    }
    return {};
}

template <class K>
int __sock_create(context<K>& cx, net& n, int family, int type, int protocol, socket** res, int kern)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "__sock_create");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] {
        return trace::decode_socket_args<abi, typename K::families>(family, type, protocol) + ", kern=" + to_kstring(kern);
    });

    if (int err = sock_check_ranges<abi>(family, type)) {
        SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [&] {
            return err == -EAFNOSUPPORT ? kstring("family outside 0..NPROTO-1")
                                        : kstring("type outside 0..SOCK_MAX-1");
        });
        return t.ret(err);
    }
    if (const int rewritten = sock_rewrite_family<abi>(family, type); rewritten != family) {
        SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [] {
            return kstring("uses obsolete (PF_INET,SOCK_PACKET): family becomes PF_PACKET");
        });
        family = rewritten;
    }

    if (int err = security_socket_create(cx, family, type, protocol, kern))
        return t.ret(err);

    socket* sock = sock_alloc(cx);
    if (!sock) {
        SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [] { return kstring("socket: no more sockets"); });
        return t.ret(-ENFILE);
    }
    sock->type = static_cast<short>(type);

    int err = -EAFNOSUPPORT;
    rcu_read_lock(cx);
    const net_proto_family* pf = cx.k.net_families.get(family);
    sock_create_label label = sock_create_label::none;
    bool got = false;
    if (!pf) {
        SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [&] { return "net_families[" + trace::decode_family(family) + "] is NULL"; });
        label = sock_create_label::out_release;
    } else if (should_fail<&fault_point::pf_module_get>(cx) || !try_module_get(cx.k, pf->owner)) {
        SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [] { return kstring("try_module_get(pf->owner) failed"); });
        label = sock_create_label::out_release;
    } else {
        got = true;
    }
    rcu_read_unlock(cx);  // the module reference now keeps pf alive
    if (got) {
        // A family of the user's may throw from its create (or its proto's
        // init): the kernel is left as by an error return there.
        try {
            err = pf->create(&cx, n, *sock, protocol, kern);
        } catch (...) {
            __sock_create_unwind(cx, *sock, *pf);
            throw;
        }
        if (err < 0) {
            if (sock->sk) [[unlikely]]
                __sock_create_bug(cx, *sock, *pf, "DEBUG_NET_WARN_ONCE in __sock_create (net/socket.c): the family's "
                                                  "create returned an error with sock->sk still set; ->create must "
                                                  "release the sk it allocated and set sock->sk to NULL on error");
            label = sock_create_label::out_module_put;
        } else if (!sock->ops || !sock->sk) [[unlikely]] {
            __sock_create_bug(cx, *sock, *pf, !sock->ops
                ? "__sock_create (net/socket.c): the family's create returned 0 without setting sock->ops; "
                  "try_module_get(sock->ops->owner) would dereference NULL: set sock->ops before returning 0"
                : "__sock_create (net/socket.c): the family's create returned 0 without a sock->sk; "
                  "security_socket_post_create and sock_alloc_file would dereference NULL: allocate the sk "
                  "(sk_alloc + sock_init_data) before returning 0");
        } else if (should_fail<&fault_point::ops_module_get>(cx) || !try_module_get(cx.k, sock->ops->owner)) {
            label = sock_create_label::out_module_busy;
        } else {
            module_put(cx.k, pf->owner);
            // A hook that throws: out_sock_release, as for a denial, then the exception.
            try {
                err = security_socket_post_create(cx, *sock, family, type, protocol, kern);
            } catch (...) {
                sock_release(cx, *sock);
                throw;
            }
            if (err)
                label = sock_create_label::out_sock_release;
        }
    }
    if (label == sock_create_label::none) {
        *res = sock;
        return t.ret(0);
    }

    SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [&] { return "goto " + kstring(label_name(label)); });
    // The labels fall through into each other, as in net/socket.c.
    switch (label) {
    case sock_create_label::out_module_busy:
        SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [] { return kstring("out_module_busy: err = -EAFNOSUPPORT"); });
        err = -EAFNOSUPPORT;
        if (sock->sk)  // ops is cleared below, so ops->release never frees it
            SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [] { return kstring("sock->sk is left allocated (ops cleared before sock_release)"); });
        [[fallthrough]];
    case sock_create_label::out_module_put:
        SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [] { return kstring("out_module_put: sock->ops = NULL; module_put(pf->owner)"); });
        sock->ops = nullptr;
        module_put(cx.k, pf->owner);
        [[fallthrough]];
    case sock_create_label::out_sock_release:
    case sock_create_label::out_release:  // rcu_read_unlock, then out_sock_release
    case sock_create_label::none:
        SOCKMODEL_TRACE_NOTE(cx, "__sock_create", [] { return kstring("out_sock_release: sock_release(sock)"); });
        sock_release(cx, *sock);
    }
    return t.ret(err);
}

template <class K>
int sock_create(context<K>& cx, int family, int type, int protocol, socket** res)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "sock_create");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_socket_args<abi, typename K::families>(family, type, protocol); });
    return t.ret(__sock_create(cx, *cx.current.net_ns, family, type, protocol, res, 0));
}

template <class K>
err_ptr<socket> __sys_socket_create(context<K>& cx, int family, int type, int protocol)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "__sys_socket_create");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_socket_args<abi, typename K::families>(family, type, protocol); });
    if (int err = sock_check_type_flags<abi>(type)) {
        SOCKMODEL_TRACE_NOTE(cx, "__sys_socket_create", [&] {
            return "type has bits outside SOCK_TYPE_MASK|SOCK_CLOEXEC|SOCK_NONBLOCK: " + trace::hex(static_cast<long>(static_cast<unsigned>(type)));
        });
        t.ret(err);
        return ERR_PTR<socket>(err);
    }
    type = sock_mask_type<abi>(type);
    SOCKMODEL_TRACE_NOTE(cx, "__sys_socket_create", [&] { return "type &= SOCK_TYPE_MASK: " + trace::decode_type<abi>(type); });
    socket* sock = nullptr;
    if (int err = sock_create(cx, family, type, protocol, &sock)) {
        t.ret(err);
        return ERR_PTR<socket>(err);
    }
    t.ret_ptr(sock);
    return sock;
}

// The BPF fmod_ret hook: sees the raw type, runs before every check.
template <class K>
int update_socket_protocol(context<K>& cx, int family, int type, int protocol)
{
    using hook = typename K::config::update_socket_protocol;
    using abi = typename K::abi;
    auto t = trace::enter(cx, "update_socket_protocol");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_socket_args<abi, typename K::families>(family, type, protocol); });
    return t.ret(hook::apply(family, type, protocol));
}

// ---------------------------------------------------------------------------
// The descriptor

template <class K>
[[gnu::always_inline]] inline err_ptr<file> sock_alloc_file(context<K>& cx, socket& sock, int flags, const char* dname)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "sock_alloc_file");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_open_flags<abi>(flags); });
    const std::string_view name = dname ? std::string_view(dname)
                                  : sock.sk ? sock.sk->sk_prot_creator->name : std::string_view();
    err_ptr<file> f = alloc_file_pseudo(cx, SOCK_INODE(sock), name, abi::o_rdwr | (flags & abi::o_nonblock),
                                        &socket_file_ops<K>);
    if (f.IS_ERR()) {
        SOCKMODEL_TRACE_NOTE(cx, "sock_alloc_file", [] { return kstring("alloc_file_pseudo failed: sock_release(sock)"); });
        sock_release(cx, sock);
        t.ret(f.PTR_ERR());
        return f;
    }
    f.ptr->f_mode |= FMODE_NOWAIT;
    sock.file = f.ptr;
    f.ptr->private_data = &sock;
    // stream_open: no lseek, no pread/pwrite.
    f.ptr->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS);
    f.ptr->f_mode |= FMODE_STREAM | FMODE_NONOTIFY_PERM;
    t.ret_ptr(f.ptr);
    return f;
}

template <class K>
int sock_map_fd(context<K>& cx, socket& sock, int flags)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "sock_map_fd");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_open_flags<abi>(flags); });
    const int fd = get_unused_fd_flags(cx, flags);
    if (fd < 0) {
        SOCKMODEL_TRACE_NOTE(cx, "sock_map_fd", [] { return kstring("no fd: sock_release(sock)"); });
        sock_release(cx, sock);
        return t.ret(fd);
    }
    err_ptr<file> newfile = sock_alloc_file(cx, sock, flags, nullptr);
    if (!newfile.IS_ERR()) {
        fd_install(cx, fd, newfile.ptr);
        return t.ret(fd);
    }
    SOCKMODEL_TRACE_NOTE(cx, "sock_map_fd", [] { return kstring("no file: put_unused_fd(fd) (sock_alloc_file released the socket)"); });
    put_unused_fd(cx, fd);
    return t.ret(newfile.PTR_ERR());
}

template <class K>
int __sys_socket(context<K>& cx, int family, int type, int protocol)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "__sys_socket");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_socket_args<abi, typename K::families>(family, type, protocol); });
    protocol = update_socket_protocol(cx, family, type, protocol);
    err_ptr<socket> sock = __sys_socket_create(cx, family, type, protocol);
    if (sock.IS_ERR())
        return t.ret(sock.PTR_ERR());
    const int flags = sock_file_flags<abi>(type);
    return t.ret(sock_map_fd(cx, *sock.ptr, flags));
}

// ---------------------------------------------------------------------------
// socketpair(2)

// put_user(fd, &usockvec[i]): the model has no user memory, so only a null
// array faults.
inline int put_user_fd(int fd, int* usockvec, int i)
{
    if (!usockvec)
        return -EFAULT;
    usockvec[i] = fd;
    return 0;
}

// READ_ONCE(sock1->ops)->socketpair(sock1, sock2): the family's function, or
// the sock_no_* stub and its errno.
template <class K>
int sock_ops_socketpair(context<K>& cx, socket& socka, socket& sockb)
{
    const socketpair_slot& op = socka.ops->socketpair;
    if (op.run.is_set())
        return op.run(&cx, socka, sockb);
    auto t = trace::enter(cx, op.fn);
    return t.ret(op.no_errno);
}

// __sys_socketpair, in net/socket.c's order: the flag check, both fds
// reserved, both numbers written to the user's array, then two sockets
// through sock_create, the LSM hook, the family's socketpair op, two files,
// and last the two fd_installs. Every failure after the reservations ends at
// `out`, which gives both fds back (the numbers already written stay in the
// user's array, as in the kernel).
template <class K>
int __sys_socketpair(context<K>& cx, int family, int type, int protocol, int* usockvec)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "__sys_socketpair");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_socket_args<abi, typename K::families>(family, type, protocol); });
    if (int err = sock_check_type_flags<abi>(type)) {
        SOCKMODEL_TRACE_NOTE(cx, "__sys_socketpair", [&] {
            return "type has bits outside SOCK_TYPE_MASK|SOCK_CLOEXEC|SOCK_NONBLOCK: " + trace::hex(type);
        });
        return t.ret(err);
    }
    const int flags = sock_file_flags<abi>(type);  // SOCK_NONBLOCK as O_NONBLOCK where they differ
    type = sock_mask_type<abi>(type);
    SOCKMODEL_TRACE_NOTE(cx, "__sys_socketpair", [&] { return "type &= SOCK_TYPE_MASK: " + trace::decode_type<abi>(type); });

    // Both fds first: the opposite order from socket(), so EMFILE comes before
    // any family, type or protocol error.
    const int fd1 = get_unused_fd_flags(cx, flags);
    if (fd1 < 0)
        return t.ret(fd1);
    const int fd2 = get_unused_fd_flags(cx, flags);
    if (fd2 < 0) {
        put_unused_fd(cx, fd1);
        return t.ret(fd2);
    }

    socket* sock1 = nullptr;
    socket* sock2 = nullptr;
    file* newfile1 = nullptr;  // fput at the second sock_alloc_file's failure
    int err = put_user_fd(fd1, usockvec, 0);
    if (!err)
        err = put_user_fd(fd2, usockvec, 1);
    // A hook or a family that throws (sock_create's LSM hooks and family
    // create, the socketpair hook and op; all before either file exists):
    // the sockets made so far are released and both fds given back, as at
    // `out`, then the exception goes on.
    try {
        if (err) {
            SOCKMODEL_TRACE_NOTE(cx, "__sys_socketpair", [] { return kstring("put_user(usockvec) faulted: goto out"); });
        } else if ((err = sock_create(cx, family, type, protocol, &sock1)) < 0) {
            SOCKMODEL_TRACE_NOTE(cx, "__sys_socketpair", [] { return kstring("first sock_create failed: goto out"); });
        } else if ((err = sock_create(cx, family, type, protocol, &sock2)) < 0) {
            SOCKMODEL_TRACE_NOTE(cx, "__sys_socketpair", [] { return kstring("second sock_create failed: release the first, goto out"); });
            sock_release(cx, *sock1);
        } else if ((err = security_socket_socketpair(cx, *sock1, *sock2)) != 0) {
            sock_release(cx, *sock2);
            sock_release(cx, *sock1);
        } else if ((err = sock_ops_socketpair(cx, *sock1, *sock2)) < 0) {
            SOCKMODEL_TRACE_NOTE(cx, "__sys_socketpair", [&] { return kstring(sock1->ops->name) + "->socketpair failed: release both, goto out"; });
            sock_release(cx, *sock2);
            sock_release(cx, *sock1);
        } else if (err_ptr<file> f1 = sock_alloc_file(cx, *sock1, flags, nullptr); f1.IS_ERR()) {
            // sock_alloc_file released sock1 itself.
            err = f1.PTR_ERR();
            sock_release(cx, *sock2);
        } else if (err_ptr<file> f2 = sock_alloc_file(cx, *sock2, flags, nullptr); f2.IS_ERR()) {
            // sock_alloc_file released sock2 itself; sock1 goes with its file.
            err = f2.PTR_ERR();
            newfile1 = f1.ptr;
            SOCKMODEL_TRACE_NOTE(cx, "__sys_socketpair", [] { return kstring("fput(newfile1): __fput runs from task_work on return to user space"); });
        } else {
            // audit_fd_pair(fd1, fd2): nothing without an audit context.
            fd_install(cx, fd1, f1.ptr);
            fd_install(cx, fd2, f2.ptr);
            return t.ret(0);
        }
    } catch (...) {
        if (sock2)
            sock_release(cx, *sock2);
        if (sock1)
            sock_release(cx, *sock1);
        put_unused_fd(cx, fd2);
        put_unused_fd(cx, fd1);
        throw;
    }

    // out:
    put_unused_fd(cx, fd2);
    put_unused_fd(cx, fd1);
    if (newfile1)
        fput(cx, newfile1);  // task_work_run, before the return to user space
    return t.ret(err);
}

// __sys_getsockopt → do_sock_getsockopt: the socket behind fd
// (sockfd_lookup: -EBADF, -ENOTSOCK), then sk_getsockopt at SOL_SOCKET or
// the family's getsockopt at any other level. optval and optlen are user
// pointers: a null one is a pointer the kernel cannot copy through (-EFAULT
// where a copy is).
template <class K>
int __sys_getsockopt(context<K>& cx, int fd, int level, int optname, void* optval, int* optlen)
{
    files_struct& files = *cx.current.files;
    auto file_lock = guard(cx, files.file_lock);  // the file stays installed while it is read
    const file* f = files.lookup(fd);
    if (!f)
        return -EBADF;
    if (f->f_op != &socket_file_ops<K>)
        return -ENOTSOCK;
    const auto* sock = static_cast<const struct socket*>(f->private_data);
    if (level == K::abi::sol_socket)
        return sk_getsockopt<typename K::abi>(cx, *sock, *sock->sk, optname, optval, optlen);
    return sock_proto_getsockopt(*sock, *sock->sk, level);
}

// The int-valued form (tests, tools): optlen sizeof(int); a null optval is EFAULT.
template <class K>
int __sys_getsockopt_int(context<K>& cx, int fd, int level, int optname, int* optval)
{
    int optlen = sizeof(int);
    return __sys_getsockopt(cx, fd, level, optname, optval, &optlen);
}

}  // namespace sockmodel
