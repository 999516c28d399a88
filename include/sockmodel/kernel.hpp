// A model kernel: every piece of state the socket path touches, owned by one
// object, so a program can run as many independent kernels as it likes. Its
// member functions are the system calls; `current()` is the task making one.
//
// One kernel object serves one system call at a time.
#pragma once

#include <sockmodel/config.hpp>
#include <sockmodel/fs/file.hpp>
#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/kernel/module.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/mm/slab.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/net/socket.hpp>

#include <array>
#include <cassert>
#include <list>
#include <memory>
#include <stdexcept>
#include <vector>

namespace sockmodel {

// fcntl(2) and getsockopt(2) numbers as x86 and the generic ABI define them.
inline constexpr int f_dupfd = 0, f_getfd = 1, f_setfd = 2, f_getfl = 3;
inline constexpr int fd_cloexec_flag = 1;
inline constexpr int sol_socket = 1;
inline constexpr int so_type = 3, so_protocol = 38, so_domain = 39;

namespace detail {
template <class List>
struct family_checks;

template <class... F>
struct family_checks<family_list<F...>> {
    static constexpr bool below(int max) { return ((F::family >= 0 && F::family < max) && ... && true); }
    static constexpr bool unique()
    {
        constexpr int numbers[] = {F::family..., 0};
        constexpr std::size_t n = sizeof...(F);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = i + 1; j < n; ++j)
                if (numbers[i] == numbers[j])
                    return false;
        return true;
    }
};
}  // namespace detail

// A snapshot of every counter that must return to its start once all is closed.
struct kernel_counters {
    std::size_t sockets = 0;  // socket_alloc objects (sockfs inodes) in use
    std::size_t files = 0;    // struct file objects in use
    std::size_t socks = 0;    // struct sock objects in use, all protos
    long nr_files = 0;
    long module_refs = 0;
    long net_refs = 0;
    long sock_inuse = 0;
    long prot_inuse = 0;
    long unix_nr_socks = 0;
    unsigned open_fds = 0;    // across all live tasks' tables

    friend bool operator==(const kernel_counters&, const kernel_counters&) = default;
};

template <class Config = default_config>
class kernel {
public:
    using config = Config;
    using abi = typename Config::abi;
    using families = typename Config::families;
    using security_type = typename Config::security;

    static_assert(arch::socket_abi<abi>);
    static_assert(detail::family_checks<families>::below(abi::af_max),
                  "sock_register: family number >= AF_MAX (net/socket.c)");
    static_assert(detail::family_checks<families>::unique(),
                  "sock_register: a family is listed twice (net/socket.c, -EEXIST at boot)");

    // --- state, named as in the kernel -------------------------------------
    [[no_unique_address]] typename Config::tracer tracer;
    security_type security;
    module_table modules;
    object_cache<socket_alloc> sock_inode_cache{"sock_inode_cache"};
    object_cache<file> filp_cache{"filp"};
    ino_allocator ino;
    std::array<const net_proto_family*, abi::nproto> net_families{};
    net init_net;
    long nr_files = 0;
    long max_files = 1L << 24;  // fs.file-max; the kernel sizes it from memory
    long unix_nr_socks = 0;
    unsigned sysctl_nr_open = sysctl_nr_open_default;

    kernel() { boot(families{}); }
    kernel(const kernel&) = delete;
    kernel& operator=(const kernel&) = delete;
    ~kernel() { exit_all(); }

    // --- tasks --------------------------------------------------------------
    task_struct& spawn(struct cred c = cred::root())
    {
        task_struct& t = tasks_.emplace_back();
        t.cred = std::move(c);
        t.pid = next_pid_++;
        t.net_ns = &init_net;
        return t;
    }

    // clone(CLONE_FILES): a thread sharing the descriptor table.
    task_struct& clone_thread(task_struct& parent)
    {
        task_struct& t = spawn(parent.cred);
        t.rlimit_nofile = parent.rlimit_nofile;
        t.files = parent.files;
        t.net_ns = parent.net_ns;
        return t;
    }

    // do_exit → exit_files: the last user of a table closes what is open in it.
    void exit(task_struct& t)
    {
        if (t.files.use_count() == 1) {
            const current_guard g(*this, t);
            for (unsigned fd = 0; fd < t.files->fdt().max_fds; ++fd)
                if (file* f = t.files->close_fd(static_cast<int>(fd)))
                    fput(f);
        }
        tasks_.remove_if([&](const task_struct& x) { return &x == &t; });
    }

    void exit_all()
    {
        while (!tasks_.empty())
            exit(tasks_.front());
    }

    task_struct& current()
    {
        assert(current_ && "a kernel function ran outside a system call");
        return *current_;
    }

    // --- system calls ---------------------------------------------------------
    int socket(task_struct& t, int family, int type, int protocol)
    {
        const current_guard g(*this, t);
        return __sys_socket(*this, family, type, protocol);
    }

    int close(task_struct& t, int fd)
    {
        const current_guard g(*this, t);
        auto tr = trace::enter(*this, "close", [&] { return std::to_string(fd); });
        file* f = file_close_fd(fd);
        if (!f)
            return tr.ret(-EBADF);
        fput(f);  // fput_close_sync: synchronous in close(2)
        return tr.ret(0);
    }

    int dup(task_struct& t, int oldfd)
    {
        const current_guard g(*this, t);
        file* f = t.files->lookup(oldfd);
        if (!f)
            return -EBADF;
        ++f->f_count;
        const int fd = get_unused_fd_flags(*this, 0);
        if (fd < 0) {
            fput(f);
            return fd;
        }
        t.files->fd_install(static_cast<unsigned>(fd), f);
        return fd;
    }

    // F_GETFD and F_GETFL; other commands are not modelled and answer EINVAL.
    int fcntl(task_struct& t, int fd, int cmd)
    {
        const file* f = t.files->lookup(fd);
        if (!f)
            return -EBADF;
        if (cmd == f_getfd)
            return t.files->close_on_exec(fd) ? fd_cloexec_flag : 0;
        if (cmd == f_getfl)
            return static_cast<int>(f->f_flags);
        return -EINVAL;
    }

    // getsockopt(SOL_SOCKET, SO_TYPE/SO_PROTOCOL/SO_DOMAIN) as sk_getsockopt answers.
    int getsockopt(task_struct& t, int fd, int level, int optname, int* optval)
    {
        const file* f = t.files->lookup(fd);
        if (!f)
            return -EBADF;
        if (f->f_op != &socket_file_ops<kernel>)
            return -ENOTSOCK;
        const auto* sock = static_cast<const struct socket*>(f->private_data);
        if (level != sol_socket)
            return -EOPNOTSUPP;  // protocol levels are not modelled
        if (optname == so_type)
            *optval = sock->sk->sk_type;
        else if (optname == so_protocol)
            *optval = sock->sk->sk_protocol;
        else if (optname == so_domain)
            *optval = sock->sk->sk_family;
        else
            return -ENOPROTOOPT;
        return 0;
    }

    // --- registration (what a module does at load time) ----------------------
    int sock_register(const net_proto_family* ops) { return sockmodel::sock_register(*this, ops); }
    void sock_unregister(int family) { sockmodel::sock_unregister(*this, family); }

    // proto_register(prot, alloc_slab=1): the proto's own cache.
    void proto_register(const proto& prot)
    {
        if (find_slab(prot))
            return;
        proto_slabs_.push_back({&prot, std::make_unique<kmem_cache>(prot.name, prot.obj_size, prot.obj_align)});
        modules.load(prot.owner);
    }

    kmem_cache* proto_slab(const proto& prot)
    {
        kmem_cache* c = find_slab(prot);
        if (!c)
            throw std::logic_error("sk_alloc on a proto that was never proto_register()ed");
        return c;
    }

    // --- observation ----------------------------------------------------------
    kernel_counters counters() const
    {
        kernel_counters c;
        c.sockets = sock_inode_cache.raw().active_objs();
        c.files = filp_cache.raw().active_objs();
        for (const auto& s : proto_slabs_)
            c.socks += s.cache->active_objs();
        c.nr_files = nr_files;
        c.module_refs = modules.total_refs();
        c.net_refs = init_net.refcount;
        c.sock_inuse = init_net.sock_inuse;
        for (const auto& e : init_net.prot_inuse)
            c.prot_inuse += e.inuse;
        c.unix_nr_socks = unix_nr_socks;
        const files_struct* seen = nullptr;
        for (const auto& t : tasks_)
            if (t.files.get() != seen) {
                c.open_fds += t.files->open_count();
                seen = t.files.get();
            }
        return c;
    }

    // fput: the last reference runs __fput.
    void fput(file* f)
    {
        if (--f->f_count == 0)
            __fput(f);
    }

private:
    struct current_guard {
        kernel& k;
        task_struct* saved;
        current_guard(kernel& kk, task_struct& t) : k(kk), saved(kk.current_) { kk.current_ = &t; }
        ~current_guard() { k.current_ = saved; }
        current_guard(const current_guard&) = delete;
        current_guard& operator=(const current_guard&) = delete;
    };

    struct proto_slab_entry {
        const proto* prot;
        std::unique_ptr<kmem_cache> cache;
    };

    template <class... F>
    void boot(family_list<F...>)
    {
        (boot_family<F>(), ...);
    }

    template <class F>
    void boot_family()
    {
        static_assert(protocol_family<F, kernel>, "a family policy must provide family, owner, protos, choose and create");
        for (const proto* p : F::template protos<kernel>())
            proto_register(*p);
        const int err = sockmodel::sock_register(*this, &family_ops<kernel, F>);
        assert(err == 0);
        (void)err;
    }

    kmem_cache* find_slab(const proto& prot)
    {
        for (auto& s : proto_slabs_)
            if (s.prot == &prot)
                return s.cache.get();
        return nullptr;
    }

    file* file_close_fd(int fd)
    {
        auto t = trace::enter(*this, "file_close_fd", [&] { return std::to_string(fd); });
        file* f = current().files->close_fd(fd);
        return t.ret_ptr(f);
    }

    // __fput: the file's release, the dentry's inode reference, the file itself.
    void __fput(file* f)
    {
        auto t = trace::enter(*this, "__fput");
        f->f_op->release(this, *f->f_inode, *f);
        iput(*this, *f->f_inode);  // dput: the pseudo dentry held the inode
        --nr_files;
        filp_cache.free(f);
    }

    std::list<task_struct> tasks_;
    std::vector<proto_slab_entry> proto_slabs_;
    task_struct* current_ = nullptr;
    int next_pid_ = 1;
};

}  // namespace sockmodel
