// Slab caches (mm/slub.c, kmem_cache_alloc/kmem_cache_free): fixed-size objects
// carved from larger slabs, with freed objects kept on an intrusive free list
// threaded through their own storage, so a warm cache never touches the heap.
#pragma once

#include <boost/intrusive/slist.hpp>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

namespace sockmodel {

class kmem_cache {
public:
    // SLAB_HWCACHE_ALIGN-like default; objects per slab as an order-0 slab would hold.
    kmem_cache(std::string_view name, std::size_t object_size,
               std::size_t align = alignof(std::max_align_t))
        : name_(name), align_(align), size_(round_up(object_size > sizeof(free_object) ? object_size : sizeof(free_object), align))
    {
        assert((align & (align - 1)) == 0 && "kmem_cache alignment must be a power of two");
        per_slab_ = 4096 / size_ > 8 ? 4096 / size_ : 8;
    }

    kmem_cache(const kmem_cache&) = delete;
    kmem_cache& operator=(const kmem_cache&) = delete;

    ~kmem_cache()
    {
        free_list_.clear();
        for (void* slab : slabs_)
            ::operator delete(slab, std::align_val_t{align_});
    }

    // kmem_cache_alloc: nullptr when the cache may not grow (see set_limit),
    // which the model's callers turn into the kernel's ENOMEM/ENFILE/ENOBUFS.
    void* alloc()
    {
        if (limit_ && active_ >= limit_)
            return nullptr;
        if (free_list_.empty())
            grow();
        free_object& obj = free_list_.front();
        free_list_.pop_front();
        obj.~free_object();
        ++active_;
        return &obj;
    }

    void free(void* p) noexcept
    {
        assert(p && active_ > 0 && "kmem_cache_free of an object this cache did not hand out");
        free_list_.push_front(*::new (p) free_object);
        --active_;
    }

    // Is p an object this cache handed out and that was not freed since? For
    // the checks of a broken caller only: it walks the free list.
    bool owns_live(const void* p) const
    {
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        bool inside = false;
        for (const std::byte* slab : slabs_) {
            const auto s = reinterpret_cast<std::uintptr_t>(slab);
            if (a >= s && a < s + size_ * per_slab_ && (a - s) % size_ == 0)
                inside = true;
        }
        if (!inside)
            return false;
        for (const free_object& o : free_list_)
            if (reinterpret_cast<std::uintptr_t>(&o) == a)
                return false;
        return true;
    }

    // Memory pressure: at most `n` live objects (0 = unlimited).
    void set_limit(std::size_t n) { limit_ = n; }

    std::string_view name() const { return name_; }
    std::size_t object_size() const { return size_; }
    std::size_t active_objs() const { return active_; }
    std::size_t total_objs() const { return slabs_.size() * per_slab_; }
    std::size_t slabs() const { return slabs_.size(); }

private:
    using free_hook = boost::intrusive::slist_base_hook<
        boost::intrusive::link_mode<boost::intrusive::normal_link>>;
    struct free_object : free_hook {};
    using free_list = boost::intrusive::slist<free_object, boost::intrusive::constant_time_size<false>>;

    static constexpr std::size_t round_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

    [[gnu::noinline, gnu::cold]] void grow()  // out of line: alloc()'s fast path then saves no registers
    {
        auto* slab = static_cast<std::byte*>(::operator new(size_ * per_slab_, std::align_val_t{align_}));
        slabs_.push_back(slab);
        for (std::size_t i = per_slab_; i-- > 0;)
            free_list_.push_front(*::new (slab + i * size_) free_object);
    }

    std::string_view name_;
    std::size_t align_;
    std::size_t size_;
    std::size_t per_slab_;
    std::size_t active_ = 0;
    std::size_t limit_ = 0;
    free_list free_list_;
    std::vector<std::byte*> slabs_;
};

// A cache of one C++ type: constructs on alloc and destroys on free, as a
// kernel cache with a constructor and zeroing allocation would leave it.
template <class T>
class object_cache {
public:
    explicit object_cache(std::string_view name) : cache_(name, sizeof(T), alignof(T)) {}

    template <class... Args>
    T* alloc(Args&&... args)
    {
        void* p = cache_.alloc();
        return p ? ::new (p) T(std::forward<Args>(args)...) : nullptr;
    }

    void free(T* obj) noexcept
    {
        obj->~T();
        cache_.free(obj);
    }

    kmem_cache& raw() { return cache_; }
    const kmem_cache& raw() const { return cache_; }

private:
    kmem_cache cache_;
};

}  // namespace sockmodel
