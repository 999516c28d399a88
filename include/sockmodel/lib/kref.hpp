// kref_ptr<T>: an owning reference to a counted object, as the kernel counts
// the users of what tasks share (mm_users, sighand->count, fs->users,
// signal->sigcnt: a kref or an atomic count in the object, freed by the last
// put). It is the part of std::shared_ptr the tasks use (copy, move, get,
// use_count, reset), with the count in the object's own block and the atomic
// builtins, so the library's default path includes neither <memory> nor
// <atomic>. The count is atomic under every lock policy: tasks of one kernel
// may clone and exit from several threads under lock::smp, and clone is not
// on the hot path.
#pragma once

#include <cstddef>

namespace sockmodel {

template <class T>
class kref_ptr {
    struct block {
        long refs;
        T obj;
    };

public:
    constexpr kref_ptr() noexcept = default;
    constexpr kref_ptr(std::nullptr_t) noexcept {}  // NOLINT: implicit, as shared_ptr's
    kref_ptr(const kref_ptr& o) noexcept : b_(o.b_) { get_ref(); }
    kref_ptr(kref_ptr&& o) noexcept : b_(o.b_) { o.b_ = nullptr; }
    kref_ptr& operator=(kref_ptr o) noexcept
    {
        block* b = b_;
        b_ = o.b_;
        o.b_ = b;
        return *this;
    }
    ~kref_ptr() { reset(); }

    // kref_init: a new object with one user.
    template <class... A>
    static kref_ptr make(A&&... a)
    {
        kref_ptr p;
        p.b_ = new block{1, T(static_cast<A&&>(a)...)};
        return p;
    }

    // kref_put: drop this user; the last one frees the object.
    void reset() noexcept
    {
        if (b_ && __atomic_sub_fetch(&b_->refs, 1, __ATOMIC_ACQ_REL) == 0)
            delete b_;
        b_ = nullptr;
    }

    T* get() const noexcept { return b_ ? &b_->obj : nullptr; }
    T& operator*() const noexcept { return b_->obj; }
    T* operator->() const noexcept { return &b_->obj; }
    explicit operator bool() const noexcept { return b_ != nullptr; }
    // kref_read: how many users share the object (0 for none).
    long use_count() const noexcept { return b_ ? __atomic_load_n(&b_->refs, __ATOMIC_RELAXED) : 0; }

    friend bool operator==(const kref_ptr& a, const kref_ptr& b) noexcept { return a.b_ == b.b_; }
    friend bool operator==(const kref_ptr& a, std::nullptr_t) noexcept { return a.b_ == nullptr; }

private:
    void get_ref() noexcept
    {
        if (b_)
            __atomic_add_fetch(&b_->refs, 1, __ATOMIC_RELAXED);
    }
    block* b_ = nullptr;
};

template <class T, class... A>
kref_ptr<T> make_kref(A&&... a)
{
    return kref_ptr<T>::make(static_cast<A&&>(a)...);
}

}  // namespace sockmodel
