// A model kernel: every piece of state the socket path touches, owned by one
// object made of subsystems named as the kernel names them, so a program can
// run as many independent kernels as it likes. Its member functions are the
// system calls; each takes the calling task explicitly and runs with a call
// context (kernel/context.hpp) instead of a global `current`.
//
//     fs/file_table.c   files         filp cache, nr_files, file-max, nr_open
//     net/socket.c      sockfs        sock_inode_cache, inode numbers
//                       net_families  the family table sock_register fills
//     net/core/sock.c   protos        proto_register: per-proto slab and in-use index
//     net/core          init_net      the initial network namespace
//                       net_namespaces()  those unshare(CLONE_NEWNET) created
//     kernel/user_namespace.c  user_namespaces()  those unshare(CLONE_NEWUSER) created
//                                   (init_user_ns is a constant shared by every kernel)
//     kernel/module     modules       module reference counts
//     security/         security      the LSM chain (compile-time modules)
//                       security_hooks  LSM hooks added at run time (opt::runtime_lsm<true>)
//     each family       family_state<F>()  its own state (unix_nr_socks, ...)
//     kernel/fork.c     tasks         spawn, clone, exit
//
// Under the default lock policy one kernel object serves one system call at a
// time; with opt::locking<lock::smp> threads may call it at once (kernel/smp.hpp,
// README: Threads).
#pragma once

// Whether the system calls are compiled flat when tracing is off (see
// kernel::flat_path); 1 unless the including program says otherwise.
#ifndef SOCKMODEL_FLATTEN
#define SOCKMODEL_FLATTEN 1
#endif

#include <sockmodel/config.hpp>
#include <sockmodel/fs/file.hpp>
#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/module.hpp>
#include <sockmodel/kernel/smp.hpp>
#include <sockmodel/kernel/sys.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/net/core/proto_list_rcu.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/net/socket.hpp>

#if __cplusplus < 202002L
#error "sockmodel needs C++20: compile with -std=c++20 (CMake: target_compile_features(... cxx_std_20))"
#endif

#include <algorithm>
#include <atomic>
#include <mutex>
#include <cassert>
#include <list>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace sockmodel {

// fcntl(2) numbers, the same on every architecture.
inline constexpr int f_dupfd = 0, f_getfd = 1, f_setfd = 2, f_getfl = 3;
inline constexpr int fd_cloexec_flag = 1;

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

template <class T>
concept complete_type = requires { sizeof(T); };

// The configured family list; an empty one when it names an incomplete type
// (checked_config has said why), so no error follows the first.
template <class T>
struct families_or_empty {
    using type = family_list<>;
};
template <complete_type T>
struct families_or_empty<T> {
    using type = typename as_family_list<T>::type;
};
}  // namespace detail

// The boot-time checks of a configuration, each with its message.
template <class Config>
struct checked_config {
    static_assert(is_config<Config>,
                  "kernel<Config>: Config must be sockmodel::config<options...>; a struct derived from a config "
                  "would have its added members ignored (write config<opt::tracer<...>, ...> instead)");
    static constexpr bool options_ok = [] {
        if constexpr (is_config<Config>)
            return Config::valid;  // its static_asserts say what is wrong
        else
            return false;
    }();
    static_assert(detail::complete_type<typename Config::families>,
                  "kernel<Config>: the configuration names no families and <sockmodel/default_families.hpp> is not "
                  "included: include it, or name them with opt::families<...>");
    static_assert(!is_smp<typename Config::locking> || !std::is_same_v<typename Config::tracer, trace::recorder>,
                  "kernel<Config>: opt::locking<lock::smp> with opt::tracer<trace::recorder>: the recorder keeps one "
                  "trace for one system call at a time and is not thread-safe (the kernel's ftrace buffers are per "
                  "CPU; the model's is not): trace a lock::none kernel, or leave the tracer out");
    // Naming options_ok here instantiates it, and with it the option checks.
    static constexpr bool value = sizeof(std::bool_constant<options_ok>) > 0;
};

template <class Abi, class List>
struct checked_family_numbers;
template <class Abi, class... F>
struct checked_family_numbers<Abi, family_list<F...>> {
    static_assert(detail::family_checks<family_list<F...>>::below(Abi::af_max),
                  "sock_register: family number >= AF_MAX (net/socket.c answers -ENOBUFS at boot): "
                  "give the family a number below the ABI's af_max");
    static_assert(detail::family_checks<family_list<F...>>::unique(),
                  "sock_register: a family is listed twice (net/socket.c answers -EEXIST at boot): "
                  "list each family number once in opt::families");
    static constexpr bool value = true;
};

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
    long family_state = 0;    // the families' own counters (unix_nr_socks, ...)
    unsigned open_fds = 0;    // across all live descriptor tables, each counted once

    friend bool operator==(const kernel_counters&, const kernel_counters&) = default;
};

template <class Config = default_config>
class kernel {
    static_assert(checked_config<Config>::value);

public:
    using config = Config;
    using abi = typename Config::abi;
    using families = typename detail::families_or_empty<typename Config::families>::type;
    using security_type = typename Config::security;
    using tracer_type = typename Config::tracer;
    using lock_type = typename Config::locking;
    static constexpr bool locked = is_smp<lock_type>;
    // fault::inject is held as fault::inject_smp under lock::smp (atomic rules and counts).
    using faults_type = typename fault::for_locking<typename Config::faults, locked>::type;
    using context_type = context<kernel>;
    static constexpr bool runtime_lsm = Config::runtime_lsm;
    // Tracing off: the system calls and the table entries (kernel_fn) are
    // each compiled flat, their callees inlined (bench/icount.sh: 671 -> 571
    // instructions per AF_INET/tcp socket()+close()). With a tracer the
    // path keeps its calls (flattening the notes' string building costs
    // minutes of compile time and megabytes of code).
    // SOCKMODEL_FLATTEN=0 keeps every call (bench/icount.sh's per-function
    // breakdown is built so: flattened, the steps merge into a few functions).
    static constexpr bool flat_path = SOCKMODEL_FLATTEN && !trace::enabled<tracer_type>;

    static_assert(arch::checked_abi<abi>::value);
    static_assert(checked_family_numbers<abi, families>::value);

    // --- subsystems, named as in the kernel -----------------------------------
    [[no_unique_address]] tracer_type tracer;
    [[no_unique_address]] faults_type faults;  // fault injection (fault/fault.hpp), when configured
    security_type security;
    // Run-time LSM hooks (opt::runtime_lsm<true>); RCU-published arrays under lock::smp.
    [[no_unique_address]] std::conditional_t<runtime_lsm,
                                             std::conditional_t<locked, lsm::hook_heads_rcu, lsm::hook_heads>,
                                             lsm::no_hook_heads> security_hooks;
    // lock::smp: fixed storage read without a lock, written under module_mutex.
    std::conditional_t<locked, module_table_rcu, module_table> modules;
    file_table files;
    class sockfs sockfs;
    std::conditional_t<locked, net_families_table_rcu<abi::nproto>, net_families_table<abi::nproto>> net_families;
    // lock::smp: fixed storage read without a lock, written under proto_list_mutex.
    std::conditional_t<locked, proto_list_rcu, proto_list> protos;
    net init_net;
    // Per-CPU caches and counters, the RCU state, the task list's lock (lock::smp).
    [[no_unique_address]] std::conditional_t<locked, smp_state, no_smp_state> smp;

    kernel()
    {
        if constexpr (runtime_lsm && locked)
            security_hooks.attach(smp);  // removal waits for a grace period of this kernel's readers
        boot(families{});
    }
    kernel(const kernel&) = delete;
    kernel& operator=(const kernel&) = delete;
    ~kernel() { exit_all(); }

    // The state a family keeps of its own (F::state), e.g. unix_nr_socks.
    // Only the configured families have their state here; a family registered
    // at run time (k.register_family<F>()) keeps what state it has itself.
    template <class F>
    typename family_state_of<F>::type& family_state()
    {
        static_assert(configured<F>, "kernel::family_state<F>: F is not in the configuration's opt::families, so the "
                                     "kernel holds no state for it: add it there, or keep its state in the family");
        return std::get<typename family_state_of<F>::type>(family_states_);
    }
    template <class F>
    const typename family_state_of<F>::type& family_state() const
    {
        static_assert(configured<F>, "kernel::family_state<F>: F is not in the configuration's opt::families, so the "
                                     "kernel holds no state for it: add it there, or keep its state in the family");
        return std::get<typename family_state_of<F>::type>(family_states_);
    }

    template <class F>
    static constexpr bool configured = []<class... G>(family_list<G...>) {
        return (std::is_same_v<F, G> || ...);
    }(families{});
    // Every family's state, as the verdict reads it (socket_verdict_for(k, net, cred, ...)).
    const family_states_t<families>& family_states() const { return family_states_; }

    // --- tasks (kernel/fork.c, kernel/exit.c) --------------------------------
    // A new process with a fresh descriptor table and init's limits, in the
    // initial namespaces, as if started by init.
    task_struct& spawn(struct cred c = cred::root())
    {
        [[maybe_unused]] auto g = tasks_guard();
        task_struct& t = tasks_.emplace_back();
        attach_cpu(t);
        t.cred = std::move(c);
        t.pid = t.tgid = next_pid_++;
        t.files = std::make_shared<files_struct>();
        t.signal = std::make_shared<signal_struct>(abi::rlimit_nofile);
        t.net_ns = &init_net;
        return t;
    }

    // clone(2): CLONE_FILES shares the descriptor table (otherwise dup_fd
    // copies it), CLONE_THREAD joins the thread group and shares its
    // signal_struct and so its rlimits (otherwise they are copied). The
    // kernel's flag rules: CLONE_THREAD needs CLONE_SIGHAND, which needs
    // CLONE_VM (-EINVAL). Returns the new pid or -errno.
    int clone(task_struct& parent, unsigned long flags)
    {
        if ((flags & clone_flag::thread) && !(flags & clone_flag::sighand))
            return -EINVAL;
        if ((flags & clone_flag::sighand) && !(flags & clone_flag::vm))
            return -EINVAL;
        [[maybe_unused]] auto g = tasks_guard();
        task_struct& t = tasks_.emplace_back();
        attach_cpu(t);
        t.cred = parent.cred;
        t.pid = next_pid_++;
        t.tgid = (flags & clone_flag::thread) ? parent.tgid : t.pid;
        t.net_ns = parent.net_ns;
        if (flags & clone_flag::files) {
            t.files = parent.files;
            t.files->get<locked>();  // atomic_inc(&oldf->count)
        } else {
            t.files = std::make_shared<files_struct>();
            if constexpr (locked) {
                std::lock_guard fl(parent.files->file_lock);
                t.files->dup_from(*parent.files,
                                  [](file* f) { std::atomic_ref<long>(f->f_count).fetch_add(1, std::memory_order_relaxed); });
            } else {
                t.files->dup_from(*parent.files, [](file* f) { ++f->f_count; });
            }
        }
        if (flags & clone_flag::thread) {
            t.signal = parent.signal;
        } else if constexpr (locked) {
            // copy_signal copies rlim[] under task_lock(current->group_leader).
            std::lock_guard rl(parent.signal->rlim_lock);
            t.signal = std::make_shared<signal_struct>(*parent.signal);
        } else {
            t.signal = std::make_shared<signal_struct>(*parent.signal);
        }
        return t.pid;
    }

    // A thread of `parent`'s group, as pthread_create makes one.
    task_struct& clone_thread(task_struct& parent) { return *find_task(clone(parent, clone_flag::pthread)); }

    task_struct* find_task(int pid)
    {
        [[maybe_unused]] auto g = tasks_guard();
        auto it = std::find_if(tasks_.begin(), tasks_.end(), [&](const task_struct& x) { return x.pid == pid; });
        return it == tasks_.end() ? nullptr : &*it;
    }

    // do_exit → exit_files → put_files_struct: the last user of a table
    // (atomic_dec_and_test of files->count under lock::smp, so of two threads
    // of one table exiting at once exactly one closes) closes what is open in it.
    void exit(task_struct& t)
    {
        if (t.files->put<locked>()) {
            context_type cx{*this, t};
            for (unsigned fd = 0; fd < t.files->fdt().max_fds; ++fd)
                if (file* f = close_fd_locked(*t.files, static_cast<int>(fd)))
                    fput(cx, f);
        }
        [[maybe_unused]] auto g = tasks_guard();
        if constexpr (locked)
            smp.detach(t.cpu);
        tasks_.remove_if([&](const task_struct& x) { return &x == &t; });
    }

    void exit_all()
    {
        for (;;) {
            task_struct* t = nullptr;
            {
                [[maybe_unused]] auto g = tasks_guard();
                if (tasks_.empty())
                    return;
                t = &tasks_.front();
            }
            exit(*t);
        }
    }

    // --- system calls ---------------------------------------------------------
    [[gnu::flatten]] int socket(task_struct& t, int family, int type, int protocol)
        requires flat_path
    {
        context_type cx{*this, t};
        return __sys_socket(cx, family, type, protocol);
    }
    int socket(task_struct& t, int family, int type, int protocol)
        requires(!flat_path)
    {
        context_type cx{*this, t};
        return __sys_socket(cx, family, type, protocol);
    }

    // socketpair(2): 0 with both fds in sv, or -errno (sv may still have been
    // written, as the kernel writes it before creating the sockets); a null
    // sv is EFAULT, reported where put_user would fault: after the flag check
    // and the two fd reservations.
    [[gnu::flatten]] int socketpair(task_struct& t, int family, int type, int protocol, int sv[2])
        requires flat_path
    {
        context_type cx{*this, t};
        return __sys_socketpair(cx, family, type, protocol, sv);
    }
    int socketpair(task_struct& t, int family, int type, int protocol, int sv[2])
        requires(!flat_path)
    {
        context_type cx{*this, t};
        return __sys_socketpair(cx, family, type, protocol, sv);
    }

    [[gnu::flatten]] int close(task_struct& t, int fd)
        requires flat_path
    {
        return do_close(t, fd);
    }
    int close(task_struct& t, int fd)
        requires(!flat_path)
    {
        return do_close(t, fd);
    }

private:
    int do_close(task_struct& t, int fd)
    {
        context_type cx{*this, t};
        auto tr = trace::enter(cx, "close");
        if constexpr (trace::on<decltype(cx)>) tr.describe([&] { return std::to_string(fd); });
        file* f = file_close_fd(cx, fd);
        if (!f)
            return tr.ret(-EBADF);
        fput(cx, f);  // fput_close_sync: synchronous in close(2)
        return tr.ret(0);
    }

public:
    int dup(task_struct& t, int oldfd)
    {
        context_type cx{*this, t};
        file* f = nullptr;
        if constexpr (locked) {
            // fget: the lookup and the new reference, against a close of oldfd.
            std::lock_guard fl(t.files->file_lock);
            f = t.files->lookup(oldfd);
            if (f)
                std::atomic_ref<long>(f->f_count).fetch_add(1, std::memory_order_relaxed);
        } else {
            f = t.files->lookup(oldfd);
            if (f)
                ++f->f_count;
        }
        if (!f)
            return -EBADF;
        const int fd = get_unused_fd_flags(cx, 0);
        if (fd < 0) {
            fput(cx, f);
            return fd;
        }
        fd_install(cx, fd, f);
        return fd;
    }

    // F_GETFD and F_GETFL; other commands are not modelled and answer EINVAL.
    int fcntl(task_struct& t, int fd, int cmd)
    {
        [[maybe_unused]] auto fl = file_lock_guard(t);  // f stays installed while it is read
        const file* f = t.files->lookup(fd);
        if (!f)
            return -EBADF;
        if (cmd == f_getfd)
            return t.files->close_on_exec(fd) ? fd_cloexec_flag : 0;
        if (cmd == f_getfl)
            return static_cast<int>(f->f_flags);
        return -EINVAL;
    }

    // getsockopt(SOL_SOCKET, SO_TYPE/SO_PROTOCOL/SO_DOMAIN) as sk_getsockopt
    // answers, with this ABI's option numbers; a null optval is EFAULT.
    int getsockopt(task_struct& t, int fd, int level, int optname, int* optval)
    {
        [[maybe_unused]] auto fl = file_lock_guard(t);
        const file* f = t.files->lookup(fd);
        if (!f)
            return -EBADF;
        if (f->f_op != &socket_file_ops<kernel>)
            return -ENOTSOCK;
        const auto* sock = static_cast<const struct socket*>(f->private_data);
        if (level != abi::sol_socket)
            return -EOPNOTSUPP;  // protocol levels are not modelled
        int v = 0;
        if (optname == abi::so_type)
            v = sock->sk->sk_type;
        else if (optname == abi::so_protocol)
            v = sock->sk->sk_protocol;
        else if (optname == abi::so_domain)
            v = sock->sk->sk_family;
        else
            return -ENOPROTOOPT;
        if (!optval)
            return -EFAULT;
        *optval = v;
        return 0;
    }

    // unshare(2) for CLONE_NEWUSER and CLONE_NEWNET (kernel/fork.c,
    // ksys_unshare). CLONE_NEWUSER first (unshare_userns → create_user_ns): a
    // child of the task's user namespace owned by its euid/egid, and
    // credentials with every capability inside it. Then CLONE_NEWNET
    // (copy_net_ns): needs CAP_SYS_ADMIN over the (new) cred's user namespace,
    // and gives a fresh netns, owned by that user namespace, whose sysctls
    // start at their defaults (ping_group_range "1 0"). Not modelled: uid/gid
    // maps (create_user_ns's check that the creator's ids are mapped in the
    // parent always passes), the chroot check, ucount limits. Other flags: EINVAL.
    //
    // CLONE_NEWUSER implies CLONE_THREAD (and CLONE_FS) in ksys_unshare, and
    // check_unshare_flags refuses CLONE_THREAD with -EINVAL unless the thread
    // group is empty: a multithreaded process cannot unshare its user
    // namespace (checked on Linux 6.18: a process with two threads gets
    // EINVAL, one thread 0; a process sharing only its files or fs with
    // another gets 0, as unshare_fs copies the fs_struct). CLONE_NEWNET alone
    // has no such rule.
    //
    // Under lock::smp the namespace lists are guarded (net_rwsem), so tasks
    // may unshare while others are in system calls.
    int unshare(task_struct& t, unsigned long flags)
    {
        if (flags & ~(clone_flag::newuser | clone_flag::newnet))
            return -EINVAL;
        if ((flags & clone_flag::newuser) && !thread_group_empty(t))
            return -EINVAL;
        [[maybe_unused]] auto ng = ns_guard();
        struct cred new_cred = t.cred;
        if (flags & clone_flag::newuser) {
            const user_namespace& parent = *t.cred.user_ns;
            if (parent.level + 1 > user_ns_max_level)
                return -EUSERS;
            user_namespace& ns = user_namespaces_.emplace_back();
            ns.parent = &parent;
            ns.level = parent.level + 1;
            ns.owner = t.cred.euid;
            ns.group = t.cred.egid;
            ns.ns_id = next_user_ns_id_++;
            new_cred.user_ns = &ns;  // set_cred_user_ns: a full set, inside
            new_cred.cap_effective = kernel_cap_t::full();
        }
        if (flags & clone_flag::newnet) {
            if (!ns_capable(*new_cred.user_ns, new_cred, capability::sys_admin))
                return -EPERM;
            net& n = net_namespaces_.emplace_back();
            n.user_ns = new_cred.user_ns;
            t.net_ns = &n;
        }
        t.cred = std::move(new_cred);
        return 0;
    }

    // The namespaces this kernel created (besides init_net and init_user_ns).
    const std::list<net>& net_namespaces() const { return net_namespaces_; }
    const std::list<user_namespace>& user_namespaces() const { return user_namespaces_; }

    // getrlimit/setrlimit/prlimit64 (kernel/sys.c); resource numbers are the ABI's.
    int getrlimit(task_struct& t, int resource, resource_limit* rlim)
    {
        context_type cx{*this, t};
        resource_limit value{};
        if (int err = do_prlimit(cx, t, resource, nullptr, &value))
            return err;
        if (!rlim)
            return -EFAULT;  // copy_to_user, after the resource check
        *rlim = value;
        return 0;
    }

    int setrlimit(task_struct& t, int resource, const resource_limit* rlim)
    {
        if (!rlim)
            return -EFAULT;
        context_type cx{*this, t};
        return do_prlimit(cx, t, resource, rlim, nullptr);
    }

    // prlimit64(pid, ...): pid 0 is the caller.
    int prlimit(task_struct& t, int pid, int resource, const resource_limit* new_rlim, resource_limit* old_rlim)
    {
        task_struct* target = pid == 0 ? &t : find_task(pid);
        if (!target)
            return -ESRCH;
        if (int err = check_prlimit_permission(t, *target))
            return err;
        context_type cx{*this, t};
        return do_prlimit(cx, *target, resource, new_rlim, old_rlim);
    }

    // --- registration (what a module does at load time) ----------------------
    int sock_register(const net_proto_family* ops)
    {
        context_type cx{*this, boot_task_};
        return sockmodel::sock_register(cx, ops);
    }
    void sock_unregister(int family)
    {
        context_type cx{*this, boot_task_};
        sockmodel::sock_unregister(cx, family);
    }
    int proto_register(const proto& prot) { return protos.proto_register(prot, modules); }

    // A family policy's tables and create function, as its module's init registers them.
    template <class F>
    int register_family() { return sockmodel::register_family<F>(*this); }

    // --- observation ----------------------------------------------------------
    // Under lock::smp the per-CPU counts are summed: exact once no call is in flight.
    kernel_counters counters() const
    {
        kernel_counters c;
        c.sockets = sockfs_in_use();
        c.files = files.cache().raw().active_objs();
        c.socks = protos.socks_in_use();
        c.nr_files = files.nr_files();
        c.module_refs = modules.total_refs();
        c.net_refs = init_net.refcount;
        c.sock_inuse = init_net.sock_inuse;
        c.prot_inuse = init_net.prot_inuse_total();
        if constexpr (locked) {
            auto active = [&](unsigned idx) {
                return static_cast<std::size_t>(smp.sum([&](const cpu_area& a) { return a.cache_active[idx].read(); }));
            };
            c.sockets = active(pcpu_cache::sock_inode);
            c.files = active(pcpu_cache::filp);
            c.socks = 0;
            for (const auto& ps : protos.all())
                c.socks += active(pcpu_cache::proto_base + static_cast<unsigned>(ps->inuse_idx));
            c.nr_files = smp.nr_files_sum();
            c.net_refs += smp.sum([](const cpu_area& a) { return a.net_refcount.read(); });
            c.sock_inuse += smp.sum([](const cpu_area& a) { return a.sock_inuse.read(); });
            c.prot_inuse += smp.sum([](const cpu_area& a) {
                long n = 0;
                for (const pcpu_long& v : a.prot_inuse)
                    n += v.read();
                return n;
            });
        }
        [[maybe_unused]] auto ng = ns_guard();
        for (const net& n : net_namespaces_) {
            c.net_refs += n.refcount;
            c.sock_inuse += n.sock_inuse;
            c.prot_inuse += n.prot_inuse_total();
        }
        std::apply([&](const auto&... s) { ((c.family_state += state_in_use(s)), ...); }, family_states_);
        [[maybe_unused]] auto g = tasks_guard();
        std::vector<const files_struct*> seen;
        for (const auto& t : tasks_)
            if (std::find(seen.begin(), seen.end(), t.files.get()) == seen.end()) {
                seen.push_back(t.files.get());
                if constexpr (locked) {
                    std::lock_guard fl(t.files->file_lock);
                    c.open_fds += t.files->open_count();
                } else {
                    c.open_fds += t.files->open_count();
                }
            }
        return c;
    }

private:
    // The task list's lock under lock::smp (tasklist_lock); nothing otherwise.
    auto tasks_guard() const
    {
        if constexpr (locked)
            return std::unique_lock<std::mutex>(const_cast<smp_state&>(smp).tasks_lock());
        else
            return 0;
    }
    auto ns_guard() const
    {
        if constexpr (locked)
            return std::unique_lock<std::mutex>(const_cast<smp_state&>(smp).ns_lock());
        else
            return 0;
    }
    // thread_group_empty: no other task in t's thread group.
    bool thread_group_empty(const task_struct& t) const
    {
        [[maybe_unused]] auto g = tasks_guard();
        return std::none_of(tasks_.begin(), tasks_.end(),
                            [&](const task_struct& x) { return &x != &t && x.tgid == t.tgid; });
    }
    auto file_lock_guard([[maybe_unused]] task_struct& t) const
    {
        if constexpr (locked)
            return std::unique_lock<spinlock>(t.files->file_lock);
        else
            return 0;
    }
    file* close_fd_locked(files_struct& table, int fd)
    {
        if constexpr (locked) {
            std::lock_guard fl(table.file_lock);
            return table.close_fd(fd);
        } else {
            return table.close_fd(fd);
        }
    }
    void attach_cpu([[maybe_unused]] task_struct& t)
    {
        if constexpr (locked)
            t.cpu = smp.attach();
    }

    template <class S>
    static long state_in_use(const S& s)
    {
        if constexpr (requires { s.in_use(); })
            return s.in_use();
        else
            return 0;
    }

    std::size_t sockfs_in_use() const { return sockfs.sockets_in_use(); }

    template <class... F>
    void boot(family_list<F...>)
    {
        (boot_family<F>(), ...);
    }

    template <class F>
    void boot_family()
    {
        const int err = sockmodel::register_family<F>(*this);
        assert(err == 0);
        (void)err;
    }

    std::list<task_struct> tasks_;
    std::list<user_namespace> user_namespaces_;  // stable addresses: creds and nets point at them
    std::list<net> net_namespaces_;
    unsigned long next_user_ns_id_ = 1;
    family_states_t<families> family_states_;
    task_struct boot_task_;  // registration runs in process context with no task of its own
    int next_pid_ = 1;
};

}  // namespace sockmodel
