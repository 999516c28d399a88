// kernel/nsproxy.c: the namespaces a task is in, for those the socket path
// reads: creating them for clone (copy_namespaces) and unshare
// (unshare_nsproxy_namespaces), with copy_net_ns (net/core/net_namespace.c)
// for the network namespace. The mount, UTS, IPC, PID, cgroup and time
// namespaces are not kept: asking for one gets the kernel's permission check
// and otherwise changes nothing the model reads. The namespaces a kernel
// creates live in its ns_lists.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
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
    user_ns_lists users;
    std::list<net> net_namespaces;  // stable addresses: tasks and socks point at them
    mutable rw_semaphore net_rwsem;
};

// copy_net_ns: a fresh netns owned by `user_ns`, its sysctls at their
// defaults (ping_group_range "1 0").
template <class K>
net* copy_net_ns(context<K>& cx, const user_namespace& user_ns)
{
    ns_lists& ns = cx.k.namespaces;
    auto net_rwsem = guard(cx, ns.net_rwsem);
    net& n = ns.net_namespaces.emplace_back();
    n.user_ns = &user_ns;
    return &n;
}

// create_new_namespaces' permission, shared by copy_namespaces (clone) and
// unshare_nsproxy_namespaces: a new namespace of any kind but the user one
// needs CAP_SYS_ADMIN (of current's credentials) over the user namespace of
// the new credentials, which own them. Then the network namespace, the one
// the model keeps. `net_ns` is left as it is without CLONE_NEWNET.
template <class K>
int create_new_namespaces(context<K>& cx, unsigned long flags, const user_namespace& user_ns, net*& net_ns)
{
    if (!(flags & clone_flag::new_namespaces))
        return 0;
    if (!ns_capable(user_ns, cx.current.cred, capability::sys_admin))
        return -EPERM;
    if (flags & clone_flag::newnet)
        net_ns = copy_net_ns(cx, user_ns);
    return 0;
}

}  // namespace sockmodel
