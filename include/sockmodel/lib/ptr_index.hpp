// A small open-addressing map from an object's address to the index it was
// given at registration (the model's stand-in for a field the kernel keeps in
// the object itself: prot->inuse_idx, prot->slab, a module's refcount). The
// tables the model registers (protos, modules, ops) are constant data shared by
// every model kernel, so their per-kernel state is found through this map in
// O(1): one multiplicative hash and, almost always, one probe.
#pragma once

#include <array>
#include <atomic>
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

// The same map for lock::smp: a fixed number of slots, never rehashed, so a
// reader never meets a table being reallocated. Lookups take no lock: a key is
// published (release) after its index, and a key is never removed, so a reader
// that reaches an empty slot (acquire) has seen every key inserted before it
// started. Inserts are serialized by the owner's lock (proto_list_mutex,
// module_mutex). At most half the slots are filled, so a probe ends quickly.
template <std::size_t Slots>
class ptr_index_rcu {
    static_assert(Slots >= 2 && (Slots & (Slots - 1)) == 0, "ptr_index_rcu: a power of two of slots");

public:
    static constexpr int none = ptr_index::none;
    static constexpr std::size_t capacity = Slots / 2;

    int find(const void* p) const noexcept
    {
        for (std::size_t i = hash(p);; i = (i + 1) & (Slots - 1)) {
            const void* key = slots_[i].key.load(std::memory_order_acquire);
            if (key == p)
                return slots_[i].index.load(std::memory_order_relaxed);
            if (!key)
                return none;
        }
    }

    // Records `p` → `index` (under the owner's lock); false when full.
    bool insert(const void* p, int index) noexcept
    {
        if (size_ >= capacity)
            return false;
        std::size_t i = hash(p);
        while (slots_[i].key.load(std::memory_order_relaxed))
            i = (i + 1) & (Slots - 1);
        slots_[i].index.store(index, std::memory_order_relaxed);
        slots_[i].key.store(p, std::memory_order_release);  // rcu_assign_pointer
        ++size_;
        return true;
    }

private:
    struct slot {
        std::atomic<const void*> key{nullptr};
        std::atomic<int> index{none};
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
