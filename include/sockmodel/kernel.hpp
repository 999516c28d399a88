// A model kernel: every piece of state the socket path touches, owned by one
// object made of subsystems named as the kernel names them, so a program can
// run as many independent kernels as it likes. It only composes: each member
// function is a system call's entry (SYSCALL_DEFINE), one line into the body
// that lives in the header of its subsystem, with the calling task as the
// call context (kernel/context.hpp) instead of a global `current`.
//
//     fs/file_table.c   files         filp cache, file-max, nr_open
//     net/socket.c      sockfs        sock_inode_cache, inode numbers
//                       net_families  the family table sock_register fills
//     net/core/sock.c   protos        proto_register: per-proto slab and in-use index
//     net/core          init_net      the initial network namespace
//     kernel/nsproxy.c  namespaces    those clone/unshare(CLONE_NEWUSER/NEWNET) created
//     kernel/module     modules       module reference counts
//     security/         security      the LSM chain (compile-time modules)
//                       security_hooks  LSM hooks added at run time (opt::runtime_lsm<true>)
//     each family       family_state<F>()  its own state (unix_nr_socks, its locks, ...)
//     kernel/fork.c     tasks         the task list
//     lock policy       smp           per-CPU caches and counters, RCU (lock/policy.hpp)
//
// Under the default lock policy one kernel object serves one system call at a
// time; with opt::locking<lock::smp> threads may call it at once (kernel/smp.hpp).
#pragma once

// Whether the system calls are compiled flat when tracing is off (see
// kernel::flat_path): in an optimised build, unless the including program
// says otherwise. An unoptimised build gains nothing from it and would
// compile each system call as one function of the whole path; the presets'
// -O1 builds (tsan, fuzz) turn it off too (a test TU compiles in 60% of the
// time without it), and the benchmarks, which measure it, turn it on.
#ifndef SOCKMODEL_FLATTEN
#ifdef __OPTIMIZE__
#define SOCKMODEL_FLATTEN 1
#else
#define SOCKMODEL_FLATTEN 0
#endif
#endif

#include <sockmodel/config.hpp>
#include <sockmodel/fs/fcntl.hpp>
#include <sockmodel/fs/file.hpp>
#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/fs/open.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/counters.hpp>
#include <sockmodel/kernel/entry.hpp>
#include <sockmodel/kernel/fork.hpp>
#include <sockmodel/kernel/module.hpp>
#include <sockmodel/kernel/nsproxy.hpp>
#include <sockmodel/kernel/sys.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/kernel/user_namespace.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/net/ipv4/sysctl_net_ipv4.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/net/socket.hpp>

#if __cplusplus < 202002L
#error "sockmodel needs C++20: compile with -std=c++20 (CMake: target_compile_features(... cxx_std_20))"
#endif

#include <list>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace sockmodel {

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
    // The fault points of this configuration: the path's, then its families'.
    using fault_table = typename fault_table_of<path_fault_points, families>::type;
    using faults_type = typename fault::rules_for<typename Config::faults, lock_type, fault_table>::type;
    using context_type = context<kernel>;
    static constexpr bool runtime_lsm = Config::runtime_lsm;
    // Tracing off: the system calls and the table entries (kernel_fn) are each
    // compiled flat, their callees inlined. With a tracer the path keeps its
    // calls (flattening the notes' string building costs minutes of compile
    // time and megabytes of code). SOCKMODEL_FLATTEN=0 keeps every call
    // (bench/icount.sh's per-function breakdown is built so).
    static constexpr bool flat_path = SOCKMODEL_FLATTEN && !trace::enabled<tracer_type>;

    static_assert(arch::checked_abi<abi>::value);
    static_assert(checked_family_numbers<abi, families>::value);

    // --- subsystems, named as in the kernel -----------------------------------
    [[no_unique_address]] tracer_type tracer;
    [[no_unique_address]] faults_type faults;  // fault injection (fault/fault.hpp), when configured
    security_type security;
    [[no_unique_address]] std::conditional_t<runtime_lsm, lsm::hook_heads<lock_type>, lsm::no_hook_heads>
        security_hooks;
    typename lock_type::state smp;  // per-CPU caches and counters, RCU
    module_table<lock_type, Config::on_bug> modules;
    file_table files;
    class sockfs sockfs;
    net_families_table<abi::nproto, lock_type> net_families;
    proto_list<lock_type, Config::on_bug> protos;
    net init_net;
    ns_lists namespaces;
    task_list tasks;

    kernel();
    kernel(const kernel&) = delete;
    kernel& operator=(const kernel&) = delete;
    ~kernel();

    // The state a family keeps of its own (F::state), e.g. unix_nr_socks.
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
        return const_cast<kernel&>(*this).template family_state<F>();
    }
    template <class F>
    static constexpr bool configured = []<class... G>(family_list<G...>) {
        return (std::is_same_v<F, G> || ...);
    }(families{});
    const family_states_t<families>& family_states() const { return family_states_; }

    // --- tasks (kernel/fork.c, kernel/exit.c, kernel/nsproxy.c) ----------------
    task_struct& spawn(struct cred c = cred::root());
    int clone(task_struct& parent, unsigned long flags);
    task_struct& clone_thread(task_struct& parent);
    task_struct* find_task(int pid);
    // After exit, t names no task: a system call through it, or a second
    // exit, is reported by the bug policy (check_task); a pid it had is -ESRCH.
    void exit(task_struct& t);
    void exit_all();
    int unshare(task_struct& t, unsigned long flags);
    const std::list<net>& net_namespaces() const { return namespaces.net_namespaces; }
    const std::list<user_namespace>& user_namespaces() const { return namespaces.users.user_namespaces; }
    // /proc/PID/uid_map, gid_map and setgroups of the task `pid` (0: t itself),
    // written by t: the length written, or -errno (-ESRCH: no such task).
    int write_uid_map(task_struct& t, int pid, std::string_view text);
    int write_gid_map(task_struct& t, int pid, std::string_view text);
    int write_setgroups(task_struct& t, int pid, std::string_view text);
    // /proc/sys/user/max_user_namespaces (of t's user namespace) and
    // /proc/sys/net/ipv4/ping_group_range (of t's netns, through t's user namespace).
    int set_max_user_namespaces(task_struct& t, long v);
    int read_ping_group_range(task_struct& t, unsigned range[2]);
    int write_ping_group_range(task_struct& t, long lo, long hi);

    // --- system calls ---------------------------------------------------------
    int socket(task_struct& t, int family, int type, int protocol);
    // 0 with both fds in sv, or -errno (sv may still have been written, as the
    // kernel writes it before creating the sockets); a null sv is EFAULT.
    int socketpair(task_struct& t, int family, int type, int protocol, int sv[2]);
    int close(task_struct& t, int fd);
    int dup(task_struct& t, int oldfd);
    int fcntl(task_struct& t, int fd, int cmd);
    // getsockopt(2): optval/optlen as the system call takes them (a null one is
    // a bad pointer: -EFAULT); the int form passes optlen sizeof(int).
    int getsockopt(task_struct& t, int fd, int level, int optname, void* optval, int* optlen);
    int getsockopt(task_struct& t, int fd, int level, int optname, int* optval);
    int getrlimit(task_struct& t, int resource, resource_limit* rlim);
    int setrlimit(task_struct& t, int resource, const resource_limit* rlim);
    int prlimit(task_struct& t, int pid, int resource, const resource_limit* new_rlim, resource_limit* old_rlim);

    // --- registration (what a module does at load time) ----------------------
    int sock_register(const net_proto_family* ops);
    void sock_unregister(int family);
    int proto_register(const proto& prot);
    template <class F>
    int register_family() { return sockmodel::register_family<F>(*this); }

    // --- observation ----------------------------------------------------------
    kernel_counters counters() const;

private:
    // The entry of every system call: the call context, then the body.
    int write_proc(task_struct& t, int pid, id_map_kind kind, std::string_view text, bool setgroups = false);
    template <auto Fn, class... A>
    auto call(task_struct& t, A... a)
    {
        const syscall_entry<kernel> entered{*this, t};
        context_type cx{*this, t};
        return Fn(cx, a...);
    }
    // The hot path (socket, socketpair, close) is compiled flat when tracing
    // is off (flat_path): its callees inlined, as far as that pays.
    template <auto Fn, class... A>
    [[gnu::flatten]] auto call_flat(task_struct& t, A... a)
        requires flat_path
    {
        const syscall_entry<kernel> entered{*this, t};
        context_type cx{*this, t};
        return Fn(cx, a...);
    }
    template <auto Fn, class... A>
    auto call_flat(task_struct& t, A... a)
        requires(!flat_path)
    {
        return call<Fn>(t, a...);
    }

    family_states_t<families> family_states_;
    task_struct boot_task_;  // registration runs in process context with no task of its own
};

// The members' bodies, out of the class: none is implicitly inline, so a
// translation unit that sees `extern template class kernel<default_config>`
// (sockmodel.hpp, when the program links sockmodel::default_kernel) compiles
// none of them, at any optimisation level.

template <class Config>
kernel<Config>::kernel()
{
    boot_task_.owner = this;
    if constexpr (runtime_lsm)
        security_hooks.attach(smp);  // removal waits for a grace period of this kernel's readers
    register_boot_families(*this, families{});
}

template <class Config>
kernel<Config>::~kernel()
{
    exit_all();
}

template <class Config>
task_struct& kernel<Config>::spawn(struct cred c)
{
    return sockmodel::spawn(*this, std::move(c));
}

template <class Config>
int kernel<Config>::clone(task_struct& parent, unsigned long flags)
{
    return call<&copy_process<kernel>>(parent, flags);
}

template <class Config>
task_struct& kernel<Config>::clone_thread(task_struct& parent)
{
    return *find_task(clone(parent, clone_flag::pthread));
}

template <class Config>
task_struct* kernel<Config>::find_task(int pid)
{
    return find_task_by_vpid(*this, pid);
}

template <class Config>
void kernel<Config>::exit(task_struct& t)
{
    call<&do_exit<kernel>>(t);
}

template <class Config>
void kernel<Config>::exit_all()
{
    sockmodel::exit_all(*this);
}

template <class Config>
int kernel<Config>::unshare(task_struct& t, unsigned long flags)
{
    return call<&ksys_unshare<kernel>>(t, flags);
}

template <class Config>
int kernel<Config>::write_uid_map(task_struct& t, int pid, std::string_view text)
{
    return write_proc(t, pid, id_map_kind::uid, text);
}

template <class Config>
int kernel<Config>::write_gid_map(task_struct& t, int pid, std::string_view text)
{
    return write_proc(t, pid, id_map_kind::gid, text);
}

template <class Config>
int kernel<Config>::write_setgroups(task_struct& t, int pid, std::string_view text)
{
    return write_proc(t, pid, id_map_kind::gid, text, true);
}

template <class Config>
int kernel<Config>::set_max_user_namespaces(task_struct& t, long v)
{
    return call<&sysctl_max_user_namespaces_write<kernel>>(t, v);
}

template <class Config>
int kernel<Config>::read_ping_group_range(task_struct& t, unsigned range[2])
{
    return call<&ipv4_ping_group_range_read<kernel>>(t, range);
}

template <class Config>
int kernel<Config>::write_ping_group_range(task_struct& t, long lo, long hi)
{
    return call<&ipv4_ping_group_range_write<kernel>>(t, lo, hi);
}

template <class Config>
int kernel<Config>::close(task_struct& t, int fd)
{
    return call_flat<&close_fd<kernel>>(t, fd);
}

template <class Config>
int kernel<Config>::dup(task_struct& t, int oldfd)
{
    return call<&ksys_dup<kernel>>(t, oldfd);
}

template <class Config>
int kernel<Config>::fcntl(task_struct& t, int fd, int cmd)
{
    return call<&do_fcntl<kernel>>(t, fd, cmd);
}

template <class Config>
int kernel<Config>::sock_register(const net_proto_family* ops)
{
    return call<&sockmodel::sock_register<kernel>>(boot_task_, ops);
}

template <class Config>
void kernel<Config>::sock_unregister(int family)
{
    call<&sockmodel::sock_unregister<kernel>>(boot_task_, family);
}

template <class Config>
int kernel<Config>::proto_register(const proto& prot)
{
    return protos.proto_register(prot, modules);
}

template <class Config>
kernel_counters kernel<Config>::counters() const
{
    return read_counters(*this);
}

template <class Config>
int kernel<Config>::socket(task_struct& t, int family, int type, int protocol)
{
    return call_flat<&__sys_socket<kernel>>(t, family, type, protocol);
}

template <class Config>
int kernel<Config>::socketpair(task_struct& t, int family, int type, int protocol, int sv[2])
{
    return call_flat<&__sys_socketpair<kernel>>(t, family, type, protocol, sv);
}

template <class Config>
int kernel<Config>::getsockopt(task_struct& t, int fd, int level, int optname, void* optval, int* optlen)
{
    return call<&__sys_getsockopt<kernel>>(t, fd, level, optname, optval, optlen);
}

template <class Config>
int kernel<Config>::getsockopt(task_struct& t, int fd, int level, int optname, int* optval)
{
    return call<&__sys_getsockopt_int<kernel>>(t, fd, level, optname, optval);
}

template <class Config>
int kernel<Config>::getrlimit(task_struct& t, int resource, resource_limit* rlim)
{
    return call<&sys_getrlimit<kernel>>(t, resource, rlim);
}

template <class Config>
int kernel<Config>::setrlimit(task_struct& t, int resource, const resource_limit* rlim)
{
    return call<&sys_setrlimit<kernel>>(t, resource, rlim);
}

template <class Config>
int kernel<Config>::prlimit(task_struct& t, int pid, int resource, const resource_limit* new_rlim, resource_limit* old_rlim)
{
    return call<&sys_prlimit64<kernel>>(t, pid, resource, new_rlim, old_rlim);
}

template <class Config>
int kernel<Config>::write_proc(task_struct& t, int pid, id_map_kind kind, std::string_view text, bool setgroups)
{
    check_task(*this, t);
    task_struct* target = pid == 0 ? &t : find_task(pid);
    if (!target)
        return -ESRCH;
    return setgroups ? call<&proc_setgroups_write<kernel>>(t, target->cred.user_ns, text)
                     : call<&map_write<kernel>>(t, target->cred.user_ns, kind, text);
}

}  // namespace sockmodel
