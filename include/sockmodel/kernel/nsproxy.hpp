// kernel/nsproxy.c and kernel/fork.c's ksys_unshare, for the namespaces the
// socket path reads: the user namespace (kernel/user_namespace.c,
// create_user_ns) and the network namespace (net/core/net_namespace.c,
// copy_net_ns). The namespaces a kernel creates live in its ns_lists.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/fork.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/kernel/user_namespace.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <list>

namespace sockmodel {

// The namespaces a kernel created besides init_net and init_user_ns
// (net_namespace_list under net_rwsem; user namespaces under their ucounts).
struct ns_lists {
    std::list<user_namespace> user_namespaces;  // stable addresses: creds and nets point at them
    std::list<net> net_namespaces;
    unsigned long next_user_ns_id = 1;
    mutable rw_semaphore net_rwsem;
};

// unshare(2) for CLONE_NEWUSER and CLONE_NEWNET (ksys_unshare). CLONE_NEWUSER
// first (unshare_userns → create_user_ns): a child of the task's user
// namespace owned by its euid/egid, and credentials with every capability
// inside it. Then CLONE_NEWNET (copy_net_ns): needs CAP_SYS_ADMIN over the
// (new) cred's user namespace, and gives a fresh netns, owned by that user
// namespace, whose sysctls start at their defaults (ping_group_range "1 0").
// Not modelled: uid/gid maps (create_user_ns's check that the creator's ids
// are mapped in the parent always passes), the chroot check, ucount limits.
// Other flags: EINVAL.
//
// CLONE_NEWUSER implies CLONE_THREAD (and CLONE_FS) in ksys_unshare, and
// check_unshare_flags refuses CLONE_THREAD with -EINVAL unless the thread
// group is empty: a multithreaded process cannot unshare its user namespace
// (checked on Linux 6.18: a process with two threads gets EINVAL, one thread
// 0; a process sharing only its files or fs with another gets 0, as
// unshare_fs copies the fs_struct). CLONE_NEWNET alone has no such rule.
template <class K>
int ksys_unshare(context<K>& cx, unsigned long flags)
{
    task_struct& t = cx.current;
    if (flags & ~(clone_flag::newuser | clone_flag::newnet))
        return -EINVAL;
    if ((flags & clone_flag::newuser) && !thread_group_empty(cx.k, t))
        return -EINVAL;
    ns_lists& ns = cx.k.namespaces;
    auto net_rwsem = guard(cx, ns.net_rwsem);
    struct cred new_cred = t.cred;
    if (flags & clone_flag::newuser) {
        const user_namespace& parent = *t.cred.user_ns;
        if (parent.level + 1 > user_ns_max_level)
            return -EUSERS;
        user_namespace& u = ns.user_namespaces.emplace_back();
        u.parent = &parent;
        u.level = parent.level + 1;
        u.owner = t.cred.euid;
        u.group = t.cred.egid;
        u.ns_id = ns.next_user_ns_id++;
        new_cred.user_ns = &u;  // set_cred_user_ns: a full set, inside
        new_cred.cap_effective = kernel_cap_t::full();
    }
    if (flags & clone_flag::newnet) {
        if (!ns_capable(*new_cred.user_ns, new_cred, capability::sys_admin))
            return -EPERM;
        net& n = ns.net_namespaces.emplace_back();
        n.user_ns = new_cred.user_ns;
        t.net_ns = &n;
    }
    t.cred = std::move(new_cred);
    return 0;
}

}  // namespace sockmodel
