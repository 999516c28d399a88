// proto_list under lock::smp (net/core/sock.c: proto_register and
// proto_list_mutex).
//
// In the kernel, proto_register writes the proto's own fields (prot->slab,
// prot->inuse_idx) and adds it to proto_list under proto_list_mutex; a struct
// proto never moves, and sk_alloc reads those fields straight from it, without
// a lock. The model keeps those fields in a proto_state per kernel, found by the
// proto's address; here that lookup is safe while another thread registers:
//   - at most PROTO_INUSE_NR (64) protos, as assign_proto_idx allows: a fixed
//     array of published pointers, each proto_state allocated once and never
//     moved, so a reader never sees a table being reallocated;
//   - the address → index map is a fixed-size ptr_index_rcu (readers take no
//     lock; an entry is published after the proto_state it names);
//   - no one-entry cache (proto_list's last_prot_/last_ is written by its
//     readers, which would race here);
//   - writers hold proto_list_mutex.
#pragma once

#include <sockmodel/kernel/module.hpp>
#include <sockmodel/lib/ptr_index.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/net_namespace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace sockmodel {

class proto_list_rcu {
public:
    static constexpr int capacity = net::proto_inuse_nr;  // PROTO_INUSE_NR

    proto_list_rcu() = default;
    proto_list_rcu(const proto_list_rcu&) = delete;
    proto_list_rcu& operator=(const proto_list_rcu&) = delete;
    ~proto_list_rcu()
    {
        for (auto& p : protos_)
            delete p.load(std::memory_order_relaxed);
    }

    // proto_register under proto_list_mutex: the slab, the in-use index
    // (-ENOSPC past PROTO_INUSE_NR), the owner module; a proto already
    // registered is left as it is.
    template <class Modules>
    int proto_register(const proto& prot, Modules& modules)
    {
        std::lock_guard proto_list_mutex(proto_list_mutex_);
        if (find(prot))
            return 0;
        const int idx = count_.load(std::memory_order_relaxed);
        if (idx >= capacity)
            return -ENOSPC;
        auto* ps = new proto_state(prot, idx);
        protos_[static_cast<std::size_t>(idx)].store(ps, std::memory_order_release);
        index_.insert(&prot, idx);  // capacity is PROTO_INUSE_NR: never full here
        count_.store(idx + 1, std::memory_order_release);
        modules.load(prot.owner);
        return 0;
    }

    // The registered proto's state, or null; takes no lock.
    proto_state* find(const proto& prot) const
    {
        const int i = index_.find(&prot);
        return i == ptr_index::none ? nullptr : protos_[static_cast<std::size_t>(i)].load(std::memory_order_acquire);
    }
    proto_state* find_uncached(const proto& prot) const { return find(prot); }

    proto_state& get(const proto& prot) const
    {
        proto_state* s = find(prot);
        if (!s)
            unregistered(prot);
        return *s;
    }

    bool owns_live(const void* p) const
    {
        for (const proto_state* ps : all())
            if (ps->slab.owns_live(p))
                return true;
        return false;
    }

    std::size_t socks_in_use() const
    {
        std::size_t n = 0;
        for (const proto_state* ps : all())
            n += ps->slab.active_objs();
        return n;
    }

    // The protos registered so far, in registration order (a snapshot).
    std::vector<proto_state*> all() const
    {
        const int n = count_.load(std::memory_order_acquire);
        std::vector<proto_state*> v;
        v.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
            v.push_back(protos_[static_cast<std::size_t>(i)].load(std::memory_order_acquire));
        return v;
    }

private:
    [[noreturn, gnu::cold, gnu::noinline]] static void unregistered(const proto& prot)
    {
        throw std::logic_error("sk_alloc on proto \"" + std::string(prot.name) +
                               "\", which was never proto_register()ed (name it in the family's protocol table)");
    }

    std::mutex proto_list_mutex_;
    ptr_index_rcu<2 * capacity> index_;
    std::array<std::atomic<proto_state*>, capacity> protos_{};
    std::atomic<int> count_{0};
};

}  // namespace sockmodel
