// Module reference counts (kernel/module/main.c): try_module_get/module_put on
// the owners of families, ops and protos. NULL is a built-in owner: always
// gettable and never counted, as with THIS_MODULE in a built-in object.
//
// A module is known to a model kernel once a table naming it is registered
// (the family, every proto and every ops table a family brings); asking for a
// module no registered table names is a bug in the caller, reported as such
// rather than answered as an unloaded module.
#pragma once

#include <sockmodel/lib/ptr_index.hpp>

#include <array>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sockmodel {

// The identity of a module, constant and shareable between model kernels; its
// state (refcount, unloading) belongs to each kernel's module_table.
struct module {
    std::string_view name;
};

enum class module_state { live, going };

namespace detail {
// A module no registered table names: a bug in the caller, not an unloaded module.
[[noreturn, gnu::cold, gnu::noinline]] inline void module_unknown(const module* mod)
{
    throw std::logic_error("module \"" + std::string(mod->name) +
                           "\" is named by no registered family, proto or ops table");
}
}  // namespace detail

class module_table {
public:
    struct entry {
        const module* mod;
        long refcnt;
        module_state state;
    };

    // Called when a family, proto or ops table naming `mod` is registered.
    void load(const module* mod)
    {
        if (mod && index_.find(mod) == ptr_index::none) {
            index_.insert(mod, static_cast<int>(entries_.size()));
            entries_.push_back({mod, 0, module_state::live});
        }
    }

    bool known(const module* mod) const { return !mod || index_.find(mod) != ptr_index::none; }

    bool try_get(const module* mod)
    {
        if (!mod)
            return true;
        entry& e = at(mod);
        if (e.state != module_state::live)
            return false;
        ++e.refcnt;
        return true;
    }

    void put(const module* mod)
    {
        if (!mod)
            return;
        entry& e = at(mod);
        assert(e.refcnt > 0 && "module_put without a matching try_module_get");
        --e.refcnt;
    }

    // delete_module(2) marks a module going before it waits for its users;
    // from then on try_module_get fails.
    void set_state(const module* mod, module_state s)
    {
        std::atomic_ref<module_state>(at(mod).state).store(s, std::memory_order_release);
    }

    long refcount(const module* mod) const
    {
        const int i = mod ? index_.find(mod) : ptr_index::none;
        return i == ptr_index::none ? 0 : entries_[static_cast<std::size_t>(i)].refcnt;
    }

    long total_refs() const
    {
        long n = 0;
        for (const auto& e : entries_)
            n += e.refcnt;
        return n;
    }

    const std::vector<entry>& entries() const { return entries_; }

private:
    entry& at(const module* mod)
    {
        const int i = index_.find(mod);
        if (i == ptr_index::none)
            detail::module_unknown(mod);
        return entries_[static_cast<std::size_t>(i)];
    }


    ptr_index index_;
    std::vector<entry> entries_;
};

// module_table under lock::smp. The kernel's module list is an RCU list
// written under module_mutex, and a struct module never moves once loaded.
// Here: the entries live in fixed storage that is never reallocated, published
// through a fixed-size lock-free index (ptr_index_rcu) and a count (release),
// so try_module_get/module_put/refcount find a module without a lock while
// load() (under module_mutex) adds another. Reference counts and states are
// atomic.
class module_table_rcu {
public:
    using entry = module_table::entry;
    static constexpr std::size_t capacity = 256;  // distinct modules one kernel can know

    void load(const module* mod)
    {
        if (!mod)
            return;
        std::lock_guard module_mutex(module_mutex_);
        if (index_.find(mod) != ptr_index::none)
            return;
        const std::size_t n = count_.load(std::memory_order_relaxed);
        if (n == capacity)
            too_many(mod);
        entries_[n] = {mod, 0, module_state::live};
        index_.insert(mod, static_cast<int>(n));                        // publishes the entry
        count_.store(n + 1, std::memory_order_release);                 // for the walkers
    }

    bool known(const module* mod) const { return !mod || index_.find(mod) != ptr_index::none; }

    // mod->refcnt is an atomic_t (try_module_get: module_is_live, then
    // atomic_inc_not_zero; module_put: atomic_dec).
    bool try_get(const module* mod)
    {
        if (!mod)
            return true;
        entry& e = at(mod);
        if (std::atomic_ref<module_state>(e.state).load(std::memory_order_acquire) != module_state::live)
            return false;
        std::atomic_ref<long>(e.refcnt).fetch_add(1, std::memory_order_relaxed);
        return true;
    }
    void put(const module* mod)
    {
        if (!mod)
            return;
        entry& e = at(mod);
        [[maybe_unused]] const long was = std::atomic_ref<long>(e.refcnt).fetch_sub(1, std::memory_order_release);
        assert(was > 0 && "module_put without a matching try_module_get");
    }

    void set_state(const module* mod, module_state s)
    {
        std::atomic_ref<module_state>(at(mod).state).store(s, std::memory_order_release);
    }

    long refcount(const module* mod) const
    {
        const int i = mod ? index_.find(mod) : ptr_index::none;
        return i == ptr_index::none ? 0 : load_refcnt(entries_[static_cast<std::size_t>(i)]);
    }

    long total_refs() const
    {
        long n = 0;
        for (const entry& e : entries())
            n += load_refcnt(e);
        return n;
    }

    // The modules loaded so far (a later load() does not move them).
    std::span<const entry> entries() const
    {
        return {entries_.data(), count_.load(std::memory_order_acquire)};
    }

private:
    static long load_refcnt(const entry& e)
    {
        return std::atomic_ref<long>(const_cast<long&>(e.refcnt)).load(std::memory_order_relaxed);
    }

    entry& at(const module* mod)
    {
        const int i = index_.find(mod);
        if (i == ptr_index::none)
            detail::module_unknown(mod);
        return entries_[static_cast<std::size_t>(i)];
    }

    [[noreturn, gnu::cold, gnu::noinline]] static void too_many(const module* mod)
    {
        throw std::length_error("module \"" + std::string(mod->name) + "\": a lock::smp kernel knows at most " +
                                std::to_string(capacity) + " modules (module_table_rcu::capacity)");
    }

    std::mutex module_mutex_;  // module_mutex: load() against load()
    ptr_index_rcu<2 * capacity> index_;
    std::array<entry, capacity> entries_{};
    std::atomic<std::size_t> count_{0};
};

// try_module_get / module_put: module_table's plain counts under lock::none,
// module_table_rcu's atomic ones under lock::smp.
template <class K>
bool try_module_get(K& k, const module* mod)
{
    return k.modules.try_get(mod);
}
template <class K>
void module_put(K& k, const module* mod)
{
    k.modules.put(mod);
}

}  // namespace sockmodel
