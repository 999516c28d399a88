// A small open-addressing map from an object's address to the index it was
// given at registration (the model's stand-in for a field the kernel keeps in
// the object itself: prot->inuse_idx, prot->slab, a module's refcount). The
// tables the model registers (protos, modules, ops) are constant data shared by
// every model kernel, so their per-kernel state is found through this map in
// O(1): one multiplicative hash and, almost always, one probe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sockmodel {

class ptr_index {
public:
    static constexpr int none = -1;

    ptr_index() : slots_(16) {}

    // The index of `p`, or none.
    int find(const void* p) const noexcept
    {
        for (std::size_t i = hash(p);; i = (i + 1) & mask()) {
            const slot& s = slots_[i];
            if (s.key == p)
                return s.index;
            if (!s.key)
                return none;
        }
    }

    // Records `p` → `index`; `p` must not be present yet.
    void insert(const void* p, int index)
    {
        if ((size_ + 1) * 2 > slots_.size())
            rehash(slots_.size() * 2);
        place(p, index);
        ++size_;
    }

    std::size_t size() const noexcept { return size_; }

private:
    struct slot {
        const void* key = nullptr;
        int index = none;
    };

    std::size_t mask() const noexcept { return slots_.size() - 1; }

    std::size_t hash(const void* p) const noexcept
    {
        // Fibonacci hashing of the address; the low bits are alignment.
        const auto v = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(p));
        return static_cast<std::size_t>((v * 0x9E3779B97F4A7C15ULL) >> 40) & mask();
    }

    void place(const void* p, int index)
    {
        std::size_t i = hash(p);
        while (slots_[i].key)
            i = (i + 1) & mask();
        slots_[i] = {p, index};
    }

    void rehash(std::size_t n)
    {
        std::vector<slot> old(n);
        old.swap(slots_);
        for (const slot& s : old)
            if (s.key)
                place(s.key, s.index);
    }

    std::vector<slot> slots_;
    std::size_t size_ = 0;
};

}  // namespace sockmodel
