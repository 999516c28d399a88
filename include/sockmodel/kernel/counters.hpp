// What a test reads to see that everything came back: every count that must
// return to its start once all is closed (slab objects in use, nr_files,
// module and netns references, /proc/net/sockstat, the families' own
// counts, open fds). Under lock::smp the per-CPU shares are summed: exact
// once no call is in flight.
#pragma once

#include <sockmodel/kernel/fork.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/percpu.hpp>
#include <sockmodel/lock/spinlock.hpp>

#include <cstddef>
#include <tuple>
#include <vector>

namespace sockmodel {

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

namespace detail {
template <class S>
long state_in_use(const S& s)
{
    if constexpr (requires { s.in_use(); })
        return s.in_use();
    else
        return 0;
}
}  // namespace detail

template <class K>
kernel_counters read_counters(const K& k)
{
    const lock::any_thread x;
    kernel_counters c;
    c.sockets = k.smp.cache_in_use(pcpu_cache::sock_inode, k.sockfs.cache());
    c.files = k.smp.cache_in_use(pcpu_cache::filp, k.files.cache().raw());
    for (const auto* ps : k.protos.all())
        c.socks += k.smp.cache_in_use(pcpu_cache::proto_base + static_cast<unsigned>(ps->inuse_idx), ps->slab);
    c.nr_files = k.smp.nr_files_sum();
    c.module_refs = k.modules.total_refs();
    c.net_refs = atomic_read(x, k.init_net.refcount) + k.smp.net_counter_percpu(pcpu_net::refcount);
    c.sock_inuse = atomic_read(x, k.init_net.sock_inuse) + k.smp.net_counter_percpu(pcpu_net::sock_inuse);
    c.prot_inuse = k.init_net.prot_inuse_total();
    for (unsigned i = 0; i < 64; ++i)
        c.prot_inuse += k.smp.net_counter_percpu(pcpu_net::prot_inuse_base + i);
    {
        auto net_rwsem = read_guard(k, k.namespaces.net_rwsem);
        for (const net& n : k.namespaces.net_namespaces) {
            c.net_refs += atomic_read(x, n.refcount);
            c.sock_inuse += atomic_read(x, n.sock_inuse);
            c.prot_inuse += n.prot_inuse_total();
        }
    }
    std::apply([&](const auto&... s) { ((c.family_state += detail::state_in_use(s)), ...); }, k.family_states());
    auto tasklist_lock = guard(k, k.tasks.tasklist_lock);
    std::vector<const files_struct*> seen;
    for (const task_struct& t : k.tasks.tasks) {
        bool counted = false;
        for (const files_struct* f : seen)
            counted = counted || f == t.files.get();
        if (counted)
            continue;
        seen.push_back(t.files.get());
        auto file_lock = guard(k, t.files->file_lock);
        c.open_fds += t.files->open_count();
    }
    return c;
}

}  // namespace sockmodel
