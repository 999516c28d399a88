// Module reference counts (kernel/module/main.c): try_module_get/module_put on
// the owners of families, ops and protos. NULL is a built-in owner: always
// gettable and never counted, as with THIS_MODULE in a built-in object.
#pragma once

#include <algorithm>
#include <cassert>
#include <string_view>
#include <vector>

namespace sockmodel {

// The identity of a module, constant and shareable between model kernels; its
// state (refcount, unloading) belongs to each kernel's module_table.
struct module {
    std::string_view name;
};

enum class module_state { live, going };

class module_table {
public:
    struct entry {
        const module* mod;
        long refcnt;
        module_state state;
    };

    // Called when a family or proto naming `mod` is registered.
    void load(const module* mod)
    {
        if (mod && !find(mod))
            entries_.push_back({mod, 0, module_state::live});
    }

    bool try_get(const module* mod)
    {
        if (!mod)
            return true;
        entry* e = find(mod);
        if (!e || e->state != module_state::live)
            return false;
        ++e->refcnt;
        return true;
    }

    void put(const module* mod)
    {
        if (!mod)
            return;
        entry* e = find(mod);
        assert(e && e->refcnt > 0 && "module_put without a matching try_module_get");
        --e->refcnt;
    }

    // delete_module(2) marks a module going before it waits for its users;
    // from then on try_module_get fails.
    void set_state(const module* mod, module_state s)
    {
        if (entry* e = find(mod))
            e->state = s;
    }

    long refcount(const module* mod) const
    {
        const entry* e = find(mod);
        return e ? e->refcnt : 0;
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
    // One body for both constnesses.
    template <class Self>
    static auto* find_in(Self& self, const module* mod)
    {
        auto it = std::find_if(self.entries_.begin(), self.entries_.end(),
                               [&](const entry& e) { return e.mod == mod; });
        return it == self.entries_.end() ? nullptr : &*it;
    }
    entry* find(const module* mod) { return find_in(*this, mod); }
    const entry* find(const module* mod) const { return find_in(*this, mod); }

    std::vector<entry> entries_;
};

}  // namespace sockmodel
