// A small open-addressing map from an object's address to the index it was
// given at registration (the model's stand-in for a field the kernel keeps in
// the object itself: prot->inuse_idx, prot->slab, a module's refcount). The
// tables the model registers (protos, modules, ops) are constant data shared by
// every model kernel, so their per-kernel state is found through this map in
// O(1): one multiplicative hash and, almost always, one probe.
//
// Fixed storage that is never reallocated, so readers may look while a writer
// (holding its owner's lock) inserts: a slot's key is published with
// rcu_assign_pointer after its index, and read with rcu_dereference
// (acquire under lock::smp, a plain load under lock::none). Entries are never
// removed.
#pragma once

#include <sockmodel/lock/atomic.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace sockmodel {

template <std::size_t Slots>
class ptr_index {
    static_assert(Slots >= 2 && (Slots & (Slots - 1)) == 0, "ptr_index: a power of two of slots");

public:
    static constexpr int none = -1;
    static constexpr std::size_t capacity = Slots / 2;  // at most half full: short probes

    // The index of `p`, or none. X: the reader's lock policy.
    template <class X>
    int find(const X& x, const void* p) const noexcept
    {
        for (std::size_t i = hash(p);; i = (i + 1) & (Slots - 1)) {
            const void* key = load_acquire(x, slots_[i].key);
            if (key == p)
                return slots_[i].index;
            if (!key)
                return none;
        }
    }

    // Under the owner's lock; false when full.
    template <class X>
    bool insert(const X& x, const void* p, int index) noexcept
    {
        if (size_ >= capacity)
            return false;
        std::size_t i = hash(p);
        while (slots_[i].key)
            i = (i + 1) & (Slots - 1);
        slots_[i].index = index;
        store_release(x, slots_[i].key, p);
        ++size_;
        return true;
    }

    std::size_t size() const noexcept { return size_; }

private:
    struct slot {
        const void* key = nullptr;
        int index = none;
    };

    static std::size_t hash(const void* p) noexcept
    {
        const auto v = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(p));
        return static_cast<std::size_t>((v * 0x9E3779B97F4A7C15ULL) >> 40) & (Slots - 1);
    }

    std::array<slot, Slots> slots_{};
    std::size_t size_ = 0;  // written under the owner's lock only
};

}  // namespace sockmodel
