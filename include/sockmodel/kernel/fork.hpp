// kernel/fork.c and kernel/exit.c: the task list, a new process (spawn, as
// if started by init), clone(2) over copy_process's sharing rules, and
// do_exit's exit_files.
#pragma once

#include <sockmodel/fs/file.hpp>
#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <list>
#include <memory>

namespace sockmodel {

// The kernel's tasks (init_task.tasks), under tasklist_lock.
struct task_list {
    std::list<task_struct> tasks;  // stable addresses: a task_struct& stays valid until it exits
    int next_pid = 1;
    mutable spinlock_t tasklist_lock;
};

template <class K>
task_struct& alloc_task(K& k)
{
    auto tasklist_lock = guard(k, k.tasks.tasklist_lock);
    task_struct& t = k.tasks.tasks.emplace_back();
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
    t.files = std::make_shared<files_struct>();
    t.signal = std::make_shared<signal_struct>(K::abi::rlimit_nofile);
    t.net_ns = &k.init_net;
    return t;
}

// dup_fd (fork without CLONE_FILES): the same table, every open file
// referenced once more, under the old table's file_lock.
template <class K>
std::shared_ptr<files_struct> dup_fd(context<K>& cx, files_struct& oldf)
{
    auto newf = std::make_shared<files_struct>();
    auto file_lock = guard(cx, oldf.file_lock);
    newf->dup_from(oldf, [&](file* f) { atomic_inc(cx, f->f_count); });
    return newf;
}

// clone(2) (copy_process): CLONE_FILES shares the descriptor table
// (otherwise dup_fd copies it), CLONE_THREAD joins the thread group and
// shares its signal_struct and so its rlimits (otherwise copy_signal copies
// them under task_lock(current->group_leader)). The kernel's flag rules:
// CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM (-EINVAL). Returns
// the new pid or -errno.
template <class K>
int copy_process(context<K>& cx, unsigned long flags)
{
    task_struct& parent = cx.current;
    if ((flags & clone_flag::thread) && !(flags & clone_flag::sighand))
        return -EINVAL;
    if ((flags & clone_flag::sighand) && !(flags & clone_flag::vm))
        return -EINVAL;
    task_struct& t = alloc_task(cx.k);
    t.cred = parent.cred;
    t.tgid = (flags & clone_flag::thread) ? parent.tgid : t.pid;
    t.net_ns = parent.net_ns;
    if (flags & clone_flag::files) {
        t.files = parent.files;
        t.files->get(cx);  // atomic_inc(&oldf->count)
    } else {
        t.files = dup_fd(cx, *parent.files);
    }
    if (flags & clone_flag::thread) {
        t.signal = parent.signal;
    } else {
        auto task_lock = guard(cx, parent.signal->rlim_lock);
        t.signal = std::make_shared<signal_struct>(*parent.signal);
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

// do_exit → exit_files → put_files_struct: the last user of a table
// (atomic_dec_and_test of files->count, so of two threads of one table
// exiting at once exactly one closes) closes what is open in it.
template <class K>
void do_exit(context<K>& cx)
{
    task_struct& t = cx.current;
    if (t.files->put(cx)) {
        files_struct& files = *t.files;
        for (unsigned fd = 0; fd < files.fdt().max_fds; ++fd) {
            auto file_lock = guard(cx, files.file_lock);
            file* f = files.close_fd(static_cast<int>(fd));
            file_lock.unlock();
            if (f)
                fput(cx, f);
        }
    }
    auto tasklist_lock = guard(cx, cx.k.tasks.tasklist_lock);
    cx.k.smp.detach(t.cpu);
    cx.k.tasks.tasks.remove_if([&](const task_struct& x) { return &x == &t; });
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

}  // namespace sockmodel
