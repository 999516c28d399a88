// kernel/sys.c: getrlimit, setrlimit and prlimit64 over do_prlimit, with the
// kernel's checks in its order and its errnos.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/fork.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/uapi/errno.hpp>


namespace sockmodel {

// do_prlimit: read and/or replace one of tsk's limits. The caller (current)
// needs CAP_SYS_RESOURCE to raise a hard limit; RLIMIT_NOFILE may never go
// above fs.nr_open, not even for root.
template <class K>
int do_prlimit(context<K>& cx, task_struct& tsk, int resource, const resource_limit* new_rlim,
               resource_limit* old_rlim)
{
    using abi = typename K::abi;
    if (resource < 0 || resource >= rlim_nlimits)
        return -EINVAL;
    if (new_rlim) {
        if (new_rlim->rlim_cur > new_rlim->rlim_max)
            return -EINVAL;
        if (resource == abi::rlimit_nofile && new_rlim->rlim_max > get_nr_open(cx))
            return -EPERM;
    }
    resource_limit& rlim = tsk.signal->rlim[static_cast<std::size_t>(resource)];
    // task_lock(tsk->group_leader): the check and the update at once against
    // another thread's setrlimit; each field stored whole, since
    // get_unused_fd_flags reads rlim_cur without the lock.
    auto task_lock = guard(cx, tsk.signal->rlim_lock);
    if (new_rlim && new_rlim->rlim_max > rlim.rlim_max && !capable(cx.current.cred, capability::sys_resource))
        return -EPERM;
    // security_task_setrlimit: no LSM in the model acts on it.
    if (old_rlim)
        *old_rlim = rlim;
    if (new_rlim) {
        write_once(cx, rlim.rlim_cur, new_rlim->rlim_cur);
        write_once(cx, rlim.rlim_max, new_rlim->rlim_max);
    }
    return 0;
}

// check_prlimit_permission: another task's limits need all of its uids and
// gids to be the caller's, or CAP_SYS_RESOURCE over the target's user namespace.
inline int check_prlimit_permission(const task_struct& current, const task_struct& task)
{
    if (&current == &task)
        return 0;
    const cred& c = current.cred;
    const cred& t = task.cred;
    const bool id_match = c.uid == t.euid && c.uid == t.suid && c.uid == t.uid && c.gid == t.egid &&
                          c.gid == t.sgid && c.gid == t.gid;
    if (!id_match && !ns_capable(*t.user_ns, c, capability::sys_resource))
        return -EPERM;
    return 0;  // security_task_prlimit
}

// getrlimit(2), setrlimit(2) and prlimit64(2) over do_prlimit; resource
// numbers are the ABI's. prlimit64's pid 0 is the caller.
template <class K>
int sys_getrlimit(context<K>& cx, int resource, resource_limit* rlim)
{
    resource_limit value{};
    if (int err = do_prlimit(cx, cx.current, resource, nullptr, &value))
        return err;
    if (!rlim)
        return -EFAULT;  // copy_to_user, after the resource check
    *rlim = value;
    return 0;
}

template <class K>
int sys_setrlimit(context<K>& cx, int resource, const resource_limit* rlim)
{
    if (!rlim)
        return -EFAULT;  // copy_from_user, first
    return do_prlimit(cx, cx.current, resource, rlim, nullptr);
}

template <class K>
int sys_prlimit64(context<K>& cx, int pid, int resource, const resource_limit* new_rlim, resource_limit* old_rlim)
{
    task_struct* target = pid == 0 ? &cx.current : find_task_by_vpid(cx.k, pid);
    if (!target)
        return -ESRCH;
    if (int err = check_prlimit_permission(cx.current, *target))
        return err;
    return do_prlimit(cx, *target, resource, new_rlim, old_rlim);
}

}  // namespace sockmodel
