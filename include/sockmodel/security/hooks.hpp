// LSM hooks added and removed while the kernel runs (opt::runtime_lsm<true>):
// security_add_hooks and the security_hook_heads lists of security/security.c.
// A program that configures run-time hooks includes this header.
//
// Order: the compile-time chain (opt::security) runs first, then the run-time
// hooks in the order they were added, as security_add_hooks appends after the
// LSMs the kernel booted with. call_int_hook's rule: the first non-zero
// answer wins and the rest are not called.
//
// security/security.c walks its hook lists under RCU: socket() never blocks
// on a hook being added or removed, nor sees a half-linked one. Here each hook
// kind is an immutable array of hook pointers published by one pointer
// (rcu_assign_pointer / rcu_dereference):
//   - readers (security_socket_create, ...) load it inside rcu_read_lock on
//     their CPU and call each hook; they never take a lock;
//   - writers (add, remove) serialise on the head's mutex, publish a new
//     array, wait for a grace period (synchronize_rcu) and only then free the
//     old one; remove returns after that grace period, so the caller may
//     destroy the hook as soon as remove returns;
//   - a writer called from inside a hook of the same list (a hook removing
//     itself, or adding another) does not wait: the change serves the calls
//     that begin after it, the walk in progress finishes on the old array,
//     whose free is deferred (call_rcu) to the end of that walk; the hooks it
//     names may be destroyed once the walk's system call has returned.
// Under lock::none the read sections and grace periods are empty.
//
// Programming errors are reported, never undefined: adding a hook that is
// already added, or removing one that is not added to this kernel (removed
// twice, or never added), throws sockmodel::bug_error; destroying a hook that is
// still added prints what happened and aborts (the kernel would BUG() on a
// freed hook still on its list). Destroying the kernel first is fine: its
// lists let go of every hook still on them.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/net.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/percpu.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/security/security.hpp>
#include <sockmodel/trace/trace.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace sockmodel::lsm {

class hook_base {
public:
    explicit hook_base(std::string_view lsm_name) : name_(lsm_name) {}
    hook_base(const hook_base&) = delete;
    hook_base& operator=(const hook_base&) = delete;
    ~hook_base()
    {
        if (added())
            die("destroyed while still added to a kernel: call security_hooks.remove() (or destroy the kernel) first");
        if (pinned_.load(std::memory_order_acquire) != 0)
            die("destroyed while a system call that began before its removal may still call it (it was removed, or "
                "its list changed, from inside a hook): destroy it after that call has returned");
    }

    std::string_view name() const { return name_; }
    bool added() const { return head_ != nullptr; }

private:
    template <class H, class L>
    friend class hook_head;
    [[noreturn]] void die(const char* what) const
    {
        std::fprintf(stderr, "sockmodel: LSM hook \"%.*s\" %s\n", static_cast<int>(name_.size()), name_.data(), what);
        std::abort();
    }
    std::string_view name_;
    const void* head_ = nullptr;  // the list it is on, to refuse a removal from another
    // How many replaced lists, that a walk in progress may still hold, name
    // it (their free deferred: hook_head::replace).
    mutable std::atomic<unsigned> pinned_{0};
};

// One hook of one LSM: its name and the function it answers with.
template <class Sig>
class hook : public hook_base {
public:
    hook(std::string_view lsm_name, std::function<Sig> fn) : hook_base(lsm_name), fn_(std::move(fn)) {}

    template <class... A>
    int operator()(A&&... a) const { return fn_(std::forward<A>(a)...); }

private:
    std::function<Sig> fn_;
};

// LSM_HOOK(int, 0, socket_create, int family, int type, int protocol, int kern)
using socket_create_hook = hook<int(const cred&, int family, int type, int protocol, int kern)>;
// LSM_HOOK(int, 0, socket_post_create, struct socket *sock, int family, int type, int protocol, int kern)
using socket_post_create_hook =
    hook<int(const cred&, const socket*, int family, int type, int protocol, int kern)>;

// security_hook_heads.<hook>: the hooks of one kind, in call order. L: the
// kernel's lock policy, whose state (attach) runs the grace periods.
//
// A hook may add or remove hooks (itself included) while it runs: the new
// list is published at once and serves the calls that begin after; the walk
// in progress keeps the list it began with. A writer inside a walk of a hook
// list of its kernel (the lock policy's in_hooks) can neither wait for a
// grace period (it would wait for itself: a hang under lock::smp) nor free
// the list (a use after free under lock::none): it retires the old list, as
// call_rcu would, and each walk, once out of its read section, frees what is
// retired on every list of its kernel after a grace period (reclaim). The
// hooks a retired list names stay pinned until then: destroying one aborts
// with a message.
template <class H, class L>
class hook_head {
public:
    struct array {
        std::vector<const H*> hooks;
    };

    hook_head() = default;
    hook_head(const hook_head&) = delete;
    hook_head& operator=(const hook_head&) = delete;
    ~hook_head()
    {
        // The kernel goes first: the hooks still added are let go, and no walk is left.
        if (const array* a = cur_) {
            for (const H* h : a->hooks)
                const_cast<H*>(h)->head_ = nullptr;
            delete a;
        }
        free_retired(std::move(retired_));
    }

    void attach(typename L::state& rcu) { rcu_ = &rcu; }

    void add(H& h)
    {
        auto g = guard(L{}, mutex_);
        if (h.added())
            throw bug_error("security_add_hooks: LSM hook \"" + kstring(h.name()) +
                                   "\" is already added: remove it first");
        const array* old = cur_;
        auto next = std::make_unique<array>();
        if (old)
            next->hooks = old->hooks;
        next->hooks.push_back(&h);
        h.head_ = this;
        replace(g, next.release(), old);
    }
    // Returns once no call can still see h (after a grace period), unless it
    // is called from inside a hook of this list: then as soon as the list is
    // replaced, h pinned until the walk in progress has ended.
    void remove(H& h)
    {
        auto g = guard(L{}, mutex_);
        const array* old = cur_;
        if (h.head_ != this || !old)
            throw bug_error("security_hooks.remove: LSM hook \"" + kstring(h.name()) +
                                   "\" is not added to this kernel (removed twice, or never added)");
        std::unique_ptr<array> next;
        if (old->hooks.size() > 1) {
            next = std::make_unique<array>();
            for (const H* x : old->hooks)
                if (x != &h)
                    next->hooks.push_back(x);
        }
        h.head_ = nullptr;
        replace(g, next.release(), old);
    }
    bool empty() const { return size() == 0; }
    std::size_t size() const
    {
        auto g = guard(L{}, mutex_);
        return cur_ ? cur_->hooks.size() : 0;
    }

    // rcu_dereference: call inside rcu_read_lock; nullptr when no hook is added.
    template <class X>
    const array* read(const X& x) const
    {
        return rcu_dereference(x, cur_);
    }
    // After a walk has left its read section: free the lists retired during
    // walks, after a grace period, unless the caller still walks a list
    // further out (a hook that made a system call).
    void reclaim() const
    {
        if (!read_once(L{}, has_retired_) || (rcu_ && rcu_->in_hooks()))
            return;
        auto g = guard(L{}, mutex_);
        std::vector<const array*> batch = std::move(retired_);
        retired_.clear();
        write_once(L{}, has_retired_, false);
        g.unlock();
        if (!batch.empty() && rcu_)
            rcu_->synchronize_rcu();  // the walks that held them have ended
        free_retired(std::move(batch));
    }

private:
    // rcu_assign_pointer under the head's mutex; then, outside it (a hook may
    // call add or remove while a writer waits for that hook's walk), either
    // synchronize_rcu and free what no reader can still hold, or, from inside
    // a walk of this list, retire the old list (call_rcu).
    template <class G>
    void replace(G& g, const array* next, const array* old)
    {
        rcu_assign_pointer(L{}, cur_, next);
        if (!old)
            return;
        if (rcu_ && rcu_->in_hooks()) {
            for (const H* h : old->hooks)
                h->pinned_.fetch_add(1, std::memory_order_relaxed);
            retired_.push_back(old);
            write_once(L{}, has_retired_, true);
            return;
        }
        g.unlock();
        if (rcu_)
            rcu_->synchronize_rcu();
        delete old;
    }
    static void free_retired(std::vector<const array*> batch)
    {
        for (const array* a : batch) {
            for (const H* h : a->hooks)
                h->pinned_.fetch_sub(1, std::memory_order_release);
            delete a;
        }
    }

    const array* cur_ = nullptr;
    mutable mutex mutex_;
    typename L::state* rcu_ = nullptr;
    mutable std::vector<const array*> retired_;  // under mutex_
    mutable bool has_retired_ = false;           // also read without it (READ_ONCE)
};

// The run-time hook lists a kernel holds (k.security_hooks).
template <class L>
struct hook_heads {
    hook_head<socket_create_hook, L> socket_create;
    hook_head<socket_post_create_hook, L> socket_post_create;

    void attach(typename L::state& rcu)
    {
        socket_create.attach(rcu);
        socket_post_create.attach(rcu);
    }
    void add(socket_create_hook& h) { socket_create.add(h); }
    void add(socket_post_create_hook& h) { socket_post_create.add(h); }
    void remove(socket_create_hook& h) { socket_create.remove(h); }
    void remove(socket_post_create_hook& h) { socket_post_create.remove(h); }
    bool empty() const { return socket_create.empty() && socket_post_create.empty(); }
    void reclaim() const
    {
        socket_create.reclaim();
        socket_post_create.reclaim();
    }
};

}  // namespace sockmodel::lsm

namespace sockmodel {

// call_int_hook over the run-time list of one hook: in order, the first
// non-zero answer wins and the rest are not called. Each answer is a trace
// note. Inside rcu_read_lock on the caller's CPU, left on every way out (a
// hook may throw).
template <class K, class H, class L, class... A>
int lsm_run_hooks(context<K>& cx, const char* fn, const lsm::hook_head<H, L>& head, const A&... args)
{
    // Inside rcu_read_lock, left on every way out (a hook may throw). A walk
    // that calls hooks marks the caller's CPU as walking `head` first (a hook
    // that changes a list then defers the free of the one replaced) and, its
    // read section left, frees what such changes retired. An empty list
    // costs the read alone.
    struct rcu_walk {
        context<K>& cx;
        const void* prev = nullptr;
        bool marked = false;
        explicit rcu_walk(context<K>& walker) : cx(walker) { rcu_read_lock(cx); }
        void mark(const void* walked)
        {
            prev = cx.k.smp.hooks_enter(cx.current.cpu, walked);
            marked = true;
        }
        ~rcu_walk()
        {
            rcu_read_unlock(cx);
            if (marked) {
                cx.k.smp.hooks_exit(cx.current.cpu, prev);
                cx.k.security_hooks.reclaim();
            }
        }
        rcu_walk(const rcu_walk&) = delete;
        rcu_walk& operator=(const rcu_walk&) = delete;
    } rcu(cx);
    const auto* a = head.read(cx);
    if (!a)
        return 0;
    rcu.mark(&head);
    for (const H* h : a->hooks) {
        const int rc = (*h)(args...);
        SOCKMODEL_TRACE_NOTE(cx, fn, [&] { return lsm_answer(h->name(), rc); });
        if (rc)
            return rc;
    }
    return 0;
}

}  // namespace sockmodel
