// A task as the socket path sees it (include/linux/sched.h): credentials, its
// files_struct (shared with CLONE_FILES), its signal_struct with the resource
// limits (shared by a thread group, CLONE_THREAD), and its network namespace
// (nsproxy->net_ns).
#pragma once

#include <sockmodel/fs/file.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/lib/kref.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/spinlock.hpp>

#include <array>

namespace sockmodel {

struct net;
struct cpu_area;

// struct rlimit; named apart from <sys/resource.h>'s, which users include too.
struct resource_limit {
    unsigned long rlim_cur;
    unsigned long rlim_max;

    friend constexpr bool operator==(const resource_limit&, const resource_limit&) = default;
};

inline constexpr unsigned long rlim_infinity = ~0UL;
inline constexpr int rlim_nlimits = 16;
inline constexpr unsigned long inr_open_cur = 1024;  // INR_OPEN_CUR: init's soft RLIMIT_NOFILE
inline constexpr unsigned long inr_open_max = 4096;  // INR_OPEN_MAX: init's hard RLIMIT_NOFILE

// The part of signal_struct the model keeps: rlim[], indexed by the ABI's
// resource numbers. Only RLIMIT_NOFILE acts on the socket path; the others
// start unlimited and are kept as set.
//
// Under lock::smp (the kernel's rules): do_prlimit and copy_signal change or
// copy rlim[] under task_lock(tsk->group_leader), here rlim_lock (one per
// thread group, as the leader is); a limit is read without a lock, with
// READ_ONCE (rlimit() in include/linux/sched/signal.h), and each field is
// written whole (rlim_cur/rlim_max as atomic stores).
struct signal_struct {
    std::array<resource_limit, rlim_nlimits> rlim;
    mutable spinlock_t rlim_lock;  // task_lock(group_leader) around writes (lock::smp only)

    explicit signal_struct(int nofile_resource)
    {
        rlim.fill({rlim_infinity, rlim_infinity});
        rlim[static_cast<std::size_t>(nofile_resource)] = {inr_open_cur, inr_open_max};
    }
    // copy_signal: the limits (the caller holds o.rlim_lock under lock::smp).
    signal_struct(const signal_struct& o) : rlim(o.rlim) {}
    signal_struct& operator=(const signal_struct&) = delete;
};

// clone(2) and unshare(2) flags (include/uapi/linux/sched.h: CLONE_VM, ...).
namespace clone_flag {
inline constexpr unsigned long newtime = 0x00000080;   // CLONE_NEWTIME
inline constexpr unsigned long vm = 0x00000100;
inline constexpr unsigned long fs = 0x00000200;
inline constexpr unsigned long files = 0x00000400;
inline constexpr unsigned long sighand = 0x00000800;
inline constexpr unsigned long thread = 0x00010000;
inline constexpr unsigned long newns = 0x00020000;     // CLONE_NEWNS
inline constexpr unsigned long sysvsem = 0x00040000;   // CLONE_SYSVSEM
inline constexpr unsigned long newcgroup = 0x02000000; // CLONE_NEWCGROUP
inline constexpr unsigned long newuts = 0x04000000;    // CLONE_NEWUTS
inline constexpr unsigned long newipc = 0x08000000;    // CLONE_NEWIPC
inline constexpr unsigned long newuser = 0x10000000;   // CLONE_NEWUSER
inline constexpr unsigned long newpid = 0x20000000;    // CLONE_NEWPID
inline constexpr unsigned long newnet = 0x40000000;    // CLONE_NEWNET
// The namespaces copy_namespaces / unshare_nsproxy_namespaces create (all
// but the user namespace), each needing CAP_SYS_ADMIN over the (new) user namespace.
inline constexpr unsigned long new_namespaces = newns | newuts | newipc | newpid | newnet | newcgroup | newtime;
// A pthread: what glibc's pthread_create passes, less the flags the model ignores.
inline constexpr unsigned long pthread = vm | fs | files | sighand | thread | sysvsem;
}  // namespace clone_flag

// What the model keeps of the mm, the signal handlers and the fs_struct:
// only who shares them (the kernel's mm_users, sighand->count, fs->users are
// the kref_ptr's count), which clone's and unshare's rules read.
struct mm_struct {};
struct sighand_struct {};
struct fs_struct {};

struct task_struct {
    struct cred cred;
    int pid = 0;
    int tgid = 0;  // the thread group leader's pid
    kref_ptr<files_struct> files;
    kref_ptr<signal_struct> signal;
    kref_ptr<mm_struct> mm;            // shared with CLONE_VM
    kref_ptr<sighand_struct> sighand;  // shared with CLONE_SIGHAND
    kref_ptr<fs_struct> fs;            // shared with CLONE_FS
    struct net* net_ns = nullptr;
    // The CPU the task runs on (lock::smp only; kernel/smp.hpp).
    cpu_area* cpu = nullptr;
    // Who may name this task in a system call: the kernel it lives in while
    // it lives, nullptr once it has exited (one compare at every entry,
    // check_task in kernel/entry.hpp). exited_from: the kernel it exited from, for the
    // message. An exited task's storage stays with its kernel until the
    // kernel goes, so a reference to it never dangles while the kernel lives.
    const void* owner = nullptr;
    const void* exited_from = nullptr;

    // rlimit(): the task's limit for one resource (read lock-free in the kernel too).
    const resource_limit& rlimit(int resource) const { return signal->rlim[static_cast<std::size_t>(resource)]; }
};

// rlimit(resource)'s soft limit as the socket path reads it: READ_ONCE under
// lock::smp (another thread of the group may setrlimit at the same time).
template <class X>
inline unsigned long task_rlimit(const X& x, const task_struct& t, int resource)
{
    return read_once(x, t.rlimit(resource).rlim_cur);
}

}  // namespace sockmodel
