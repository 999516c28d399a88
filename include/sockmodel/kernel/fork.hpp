// kernel/fork.c and kernel/exit.c: the task list, a new process (spawn, as
// if started by init), clone(2) over copy_process's flag and sharing rules,
// unshare(2) (ksys_unshare), and do_exit's exit_files.
#pragma once

#include <sockmodel/fs/file.hpp>
#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/nsproxy.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/kernel/user_namespace.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <list>
#include <utility>

namespace sockmodel {

// The kernel's tasks (init_task.tasks), under tasklist_lock.
struct task_list {
    std::list<task_struct> tasks;  // stable addresses: a task_struct& stays valid while the kernel lives
    // Tasks that have exited: their files, limits and namespaces are let go,
    // the task_struct itself is kept (spliced here, never moved) so that a
    // task named after its exit is reported (check_task, kernel/entry.hpp), never read
    // after its free. The kernel's release_task frees it; the model keeps it
    // as long as the kernel, as a handle may still name it.
    std::list<task_struct> exited;
    int next_pid = 1;
    mutable spinlock_t tasklist_lock;
};

template <class K>
task_struct& alloc_task(K& k)
{
    auto tasklist_lock = guard(k, k.tasks.tasklist_lock);
    task_struct& t = k.tasks.tasks.emplace_back();
    t.owner = &k;
    t.cpu = k.smp.attach();
    t.pid = k.tasks.next_pid++;
    return t;
}

// A new process with a fresh descriptor table and init's limits, in the
// initial namespaces, as if started by init.
template <class K>
task_struct& spawn(K& k, struct cred c)
{
    task_struct& t = alloc_task(k);
    t.cred = std::move(c);
    t.tgid = t.pid;
    t.files = make_kref<files_struct>();
    t.signal = make_kref<signal_struct>(K::abi::rlimit_nofile);
    t.mm = make_kref<mm_struct>();
    t.sighand = make_kref<sighand_struct>();
    t.fs = make_kref<fs_struct>();
    t.net_ns = &k.init_net;
    return t;
}

// dup_fd (fork without CLONE_FILES, unshare(CLONE_FILES)): the same table,
// every open file referenced once more, under the old table's file_lock; an
// fd reserved but not installed yet is free in the copy, and its next_fd
// starts at 0.
template <class K>
kref_ptr<files_struct> dup_fd(context<K>& cx, files_struct& oldf)
{
    auto newf = make_kref<files_struct>();
    auto file_lock = guard(cx, oldf.file_lock);
    newf->dup_from(oldf, [&](file* f) { atomic_inc(cx, f->f_count); });
    return newf;
}

// copy_process's checks of the flags alone, in its order: a new mount
// namespace or user namespace cannot share the fs_struct, a thread needs
// shared signal handlers, which need a shared mm, and a thread cannot be in
// another user (or PID) namespace than its group.
constexpr int copy_process_check_flags(unsigned long flags)
{
    if ((flags & (clone_flag::newns | clone_flag::fs)) == (clone_flag::newns | clone_flag::fs))
        return -EINVAL;
    if ((flags & (clone_flag::newuser | clone_flag::fs)) == (clone_flag::newuser | clone_flag::fs))
        return -EINVAL;
    if ((flags & clone_flag::thread) && !(flags & clone_flag::sighand))
        return -EINVAL;
    if ((flags & clone_flag::sighand) && !(flags & clone_flag::vm))
        return -EINVAL;
    if ((flags & clone_flag::thread) && (flags & (clone_flag::newuser | clone_flag::newpid)))
        return -EINVAL;
    return 0;
}

// clone(2) (copy_process): the flag checks; copy_creds, where CLONE_NEWUSER
// makes the child's credentials in a new user namespace (create_user_ns);
// CLONE_FILES shares the descriptor table (otherwise dup_fd copies it);
// CLONE_FS, CLONE_SIGHAND and CLONE_VM share what they name; CLONE_THREAD
// joins the thread group and shares its signal_struct and so its rlimits
// (otherwise copy_signal copies them under task_lock(current->group_leader));
// copy_namespaces, where a new namespace needs CAP_SYS_ADMIN over the
// child's user namespace (-EPERM) and CLONE_NEWNET makes the child's netns.
// Returns the new pid or -errno.
template <class K>
int copy_process(context<K>& cx, unsigned long flags)
{
    task_struct& parent = cx.current;
    if (int err = copy_process_check_flags(flags))
        return err;
    struct cred new_cred = parent.cred;
    if (flags & clone_flag::newuser)
        if (int err = create_user_ns(cx, new_cred))
            return err;
    net* net_ns = parent.net_ns;
    if (int err = create_new_namespaces(cx, flags, *new_cred.user_ns, net_ns))
        return err;
    task_struct& t = alloc_task(cx.k);
    t.cred = std::move(new_cred);
    t.tgid = (flags & clone_flag::thread) ? parent.tgid : t.pid;
    t.net_ns = net_ns;
    if (flags & clone_flag::files) {
        t.files = parent.files;
        t.files->get(cx);  // atomic_inc(&oldf->count)
    } else {
        t.files = dup_fd(cx, *parent.files);
    }
    t.fs = (flags & clone_flag::fs) ? parent.fs : make_kref<fs_struct>();
    t.sighand = (flags & clone_flag::sighand) ? parent.sighand : make_kref<sighand_struct>();
    t.mm = (flags & clone_flag::vm) ? parent.mm : make_kref<mm_struct>();
    if (flags & clone_flag::thread) {
        t.signal = parent.signal;
    } else {
        auto task_lock = guard(cx, parent.signal->rlim_lock);
        t.signal = make_kref<signal_struct>(*parent.signal);
    }
    return t.pid;
}

template <class K>
task_struct* find_task_by_vpid(K& k, int pid)
{
    auto tasklist_lock = guard(k, k.tasks.tasklist_lock);
    for (task_struct& t : k.tasks.tasks)
        if (t.pid == pid)
            return &t;
    return nullptr;
}

// thread_group_empty: no other task in t's thread group.
template <class K>
bool thread_group_empty(K& k, const task_struct& t)
{
    auto tasklist_lock = guard(k, k.tasks.tasklist_lock);
    for (const task_struct& x : k.tasks.tasks)
        if (&x != &t && x.tgid == t.tgid)
            return false;
    return true;
}

// put_files_struct: the last user of a table (atomic_dec_and_test of
// files->count, so of two threads of one table exiting at once exactly one
// closes) closes what is open in it.
template <class K>
void drop_files(context<K>& cx, kref_ptr<files_struct> table)
{
    if (table->put(cx)) {
        files_struct& files = *table;
        for (unsigned fd = 0; fd < files.fdt().max_fds; ++fd) {
            auto file_lock = guard(cx, files.file_lock);
            file* f = files.close_fd(static_cast<int>(fd));
            file_lock.unlock();
            if (f)
                fput(cx, f);
        }
    }
}

// do_exit → exit_files → put_files_struct, then exit_notify/release_task:
// the task leaves the task list. What it held is let go (its table, limits,
// mm, credentials); its task_struct moves to tasks.exited, marked so that no
// system call accepts it again (owner cleared).
template <class K>
void do_exit(context<K>& cx)
{
    task_struct& t = cx.current;
    drop_files(cx, std::exchange(t.files, nullptr));
    auto tasklist_lock = guard(cx, cx.k.tasks.tasklist_lock);
    cx.k.smp.detach(t.cpu);
    t.cpu = nullptr;
    t.owner = nullptr;
    t.exited_from = &cx.k;
    t.signal.reset();
    t.mm.reset();
    t.sighand.reset();
    t.fs.reset();
    t.net_ns = nullptr;
    auto& live = cx.k.tasks.tasks;
    for (auto it = live.begin(); it != live.end(); ++it)
        if (&*it == &t) {
            cx.k.tasks.exited.splice(cx.k.tasks.exited.end(), live, it);
            break;
        }
}

// Every task exits (the kernel object is going away).
template <class K>
void exit_all(K& k)
{
    for (;;) {
        task_struct* t = nullptr;
        {
            auto tasklist_lock = guard(k, k.tasks.tasklist_lock);
            if (k.tasks.tasks.empty())
                return;
            t = &k.tasks.tasks.front();
        }
        context<K> cx{k, *t};
        do_exit(cx);
    }
}

// check_unshare_flags: only the flags unshare knows (-EINVAL); unsharing
// the thread group, the signal handlers or the mm is "done" only when there
// is nothing to unshare: no other thread, no other user of the handlers, no
// other process on the mm (-EINVAL otherwise).
template <class K>
int check_unshare_flags(context<K>& cx, unsigned long flags)
{
    using namespace clone_flag;
    task_struct& t = cx.current;
    if (flags & ~(thread | fs | newns | sighand | vm | files | sysvsem | newuts | newipc | newnet | newuser | newpid |
                  newcgroup | newtime))
        return -EINVAL;
    if ((flags & (thread | sighand | vm)) && !thread_group_empty(cx.k, t))
        return -EINVAL;
    if ((flags & (sighand | vm)) && t.sighand.use_count() > 1)
        return -EINVAL;
    if ((flags & vm) && t.mm.use_count() > 1)  // current_is_single_threaded
        return -EINVAL;
    return 0;
}

// unshare(2) (ksys_unshare). The implied flags first: CLONE_NEWUSER brings
// CLONE_THREAD and CLONE_FS, CLONE_VM brings CLONE_SIGHAND, which brings
// CLONE_THREAD, and CLONE_NEWNS brings CLONE_FS; then check_unshare_flags;
// unshare_fs (a shared fs_struct is copied), unshare_fd (CLONE_FILES: a
// shared table is copied by dup_fd), unshare_userns (create_user_ns), and
// unshare_nsproxy_namespaces (create_new_namespaces: CAP_SYS_ADMIN over the
// new credentials' user namespace). Nothing changes unless all succeed.
template <class K>
int ksys_unshare(context<K>& cx, unsigned long flags)
{
    task_struct& t = cx.current;
    if (flags & clone_flag::newuser)
        flags |= clone_flag::thread | clone_flag::fs;
    if (flags & clone_flag::vm)
        flags |= clone_flag::sighand;
    if (flags & clone_flag::sighand)
        flags |= clone_flag::thread;
    if (flags & clone_flag::newns)
        flags |= clone_flag::fs;
    if (int err = check_unshare_flags(cx, flags))
        return err;
    const bool new_fs = (flags & clone_flag::fs) && t.fs.use_count() > 1;
    kref_ptr<files_struct> new_files;
    if ((flags & clone_flag::files) && t.files->users(cx) > 1)
        new_files = dup_fd(cx, *t.files);
    struct cred new_cred = t.cred;
    if (flags & clone_flag::newuser)
        if (int err = create_user_ns(cx, new_cred)) {
            if (new_files)
                drop_files(cx, std::move(new_files));
            return err;
        }
    net* net_ns = t.net_ns;
    if (int err = create_new_namespaces(cx, flags, *new_cred.user_ns, net_ns)) {
        if (new_files)
            drop_files(cx, std::move(new_files));
        return err;
    }
    if (new_fs)
        t.fs = make_kref<fs_struct>();
    if (new_files) {
        kref_ptr<files_struct> old = std::exchange(t.files, std::move(new_files));
        drop_files(cx, std::move(old));
    }
    t.cred = std::move(new_cred);
    t.net_ns = net_ns;
    return 0;
}

}  // namespace sockmodel
