// Module reference counts (kernel/module/main.c): try_module_get/module_put on
// the owners of families, ops and protos. NULL is a built-in owner: always
// gettable and never counted, as with THIS_MODULE in a built-in object.
//
// A module is known to a model kernel once a table naming it is registered
// (the family, every proto and every ops table a family brings); asking for a
// module no registered table names is a bug in the caller, reported as such
// rather than answered as an unloaded module.
#pragma once

#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/lib/ptr_index.hpp>
#include <sockmodel/linux/err.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/spinlock.hpp>

#include <array>
#include <cassert>
#include <cstddef>
#include <span>
#include <string_view>

namespace sockmodel {

// The identity of a module, constant and shareable between model kernels; its
// state (refcount, unloading) belongs to each kernel's module_table.
struct module {
    std::string_view name;
};

enum class module_state { live, going };

// A kernel's module states, in fixed storage (never reallocated) found
// through a lock-free address index: under lock::smp readers (try_get, put)
// take no lock while load() adds a module under module_mutex.
template <class L, bug_policy OnBug = bug_policy::throw_error>
class module_table {
public:
    static constexpr std::size_t capacity = 256;  // distinct modules one kernel can know

    struct entry {
        const module* mod;
        atomic_long_t refcnt;  // mod->refcnt
        module_state state;
    };

    // Called when a family, proto or ops table naming `mod` is registered.
    void load(const module* mod)
    {
        if (!mod)
            return;
        auto module_mutex = guard(L{}, module_mutex_);
        if (index_.find(L{}, mod) != decltype(index_)::none)
            return;
        const std::size_t n = count_;
        if (n == capacity)
            too_many(mod);
        entries_[n] = {mod, {}, module_state::live};
        index_.insert(L{}, mod, static_cast<int>(n));  // publishes the entry
        store_release(L{}, count_, n + 1);            // for the walkers
    }

    bool known(const module* mod) const { return !mod || index_.find(L{}, mod) != decltype(index_)::none; }

    // try_module_get: false once the module is going away.
    bool try_get(const module* mod)
    {
        if (!mod)
            return true;
        entry& e = at(mod);
        if (load_acquire(L{}, e.state) != module_state::live)
            return false;
        atomic_inc(L{}, e.refcnt);
        return true;
    }

    void put(const module* mod)
    {
        if (!mod)
            return;
        entry& e = at(mod);
        [[maybe_unused]] const long now = atomic_add_return(L{}, e.refcnt, -1L);
        assert(now >= 0 && "module_put without a matching try_module_get");
    }

    // Unloading begins (going) or is abandoned (live); may come from any thread.
    void set_state(const module* mod, module_state s) { store_release(lock::any_thread{}, at(mod).state, s); }

    long refcount(const module* mod) const
    {
        const int i = mod ? index_.find(L{}, mod) : decltype(index_)::none;
        return i == decltype(index_)::none ? 0 : atomic_read(lock::any_thread{}, entries_[static_cast<std::size_t>(i)].refcnt);
    }

    long total_refs() const
    {
        long n = 0;
        for (const entry& e : entries())
            n += atomic_read(lock::any_thread{}, e.refcnt);
        return n;
    }

    std::span<const entry> entries() const { return {entries_.data(), load_acquire(L{}, count_)}; }

private:
    entry& at(const module* mod)
    {
        const int i = index_.find(L{}, mod);
        if (i == decltype(index_)::none)
            unknown(mod);
        return entries_[static_cast<std::size_t>(i)];
    }

    // A module no registered table names: a bug in the caller, not an unloaded module.
    [[noreturn, gnu::cold, gnu::noinline]] static void unknown(const module* mod)
    {
        kernel_bug<OnBug>("module \"" + kstring(mod->name) +
                          "\" is named by no registered family, proto or ops table");
    }

    [[noreturn, gnu::cold, gnu::noinline]] static void too_many(const module* mod)
    {
        throw invalid_argument("module \"" + kstring(mod->name) + "\": a model kernel knows at most " +
                                to_kstring(capacity) + " modules (module_table::capacity)");
    }

    mutex module_mutex_;  // load() against load()
    ptr_index<2 * capacity> index_;
    std::array<entry, capacity> entries_{};
    std::size_t count_ = 0;
};

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
