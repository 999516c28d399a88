// The LSM hooks on the socket() path (security/security.c). An LSM is a policy
// type with a name and two hooks; a chain runs them in order and the first
// non-zero answer wins, as call_int_hook does. The empty chain is the default
// and costs nothing: security_socket_create folds over no modules.
// security_socket_create and security_socket_post_create are here too.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/smp.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/linux/net.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <boost/intrusive/list.hpp>

#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace sockmodel::lsm {

// What an LSM policy provides (both hooks may be constexpr; the verdict uses them).
template <class L>
concept security_module = requires(const L& l, const cred& c, const socket* s) {
    { L::name } -> std::convertible_to<std::string_view>;
    { l.socket_create(c, 0, 0, 0, 0) } -> std::same_as<int>;
    { l.socket_post_create(c, s, 0, 0, 0, 0) } -> std::same_as<int>;
};

template <security_module... L>
struct chain {
    std::tuple<L...> modules;

    template <class L1>
    L1& get() { return std::get<L1>(modules); }
};

using none = chain<>;

// --- hooks added at run time (opt::runtime_lsm<true>) -------------------------
//
// security/security.c keeps one list per hook (security_hook_heads) and
// security_add_hooks appends an LSM's security_hook_list entries to them; the
// call_int_hook rule walks one list in order and stops at the first non-zero
// answer. Here a hook is an intrusive node owned by the caller (the LSM),
// linked into the kernel's list for that hook; nothing is allocated on add.
//
// Order: the compile-time chain (opt::security) runs first, then the run-time
// hooks in the order they were added. The compile-time modules are the
// kernel's built-in LSMs, ordered by lsm= / CONFIG_LSM at boot; a hook added
// later is appended after them, as security_add_hooks appends.
//
// Programming errors are reported, never undefined: adding a hook that is
// already added, or removing one that is not added to this kernel (removed
// twice, or never added), throws std::logic_error; destroying a hook that is
// still added prints what happened and aborts (the kernel would BUG() on a
// freed hook still on its list). Destroying the kernel first is fine: its
// lists unlink every hook still on them.
class hook_base
    : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::safe_link>> {
public:
    explicit hook_base(std::string_view lsm_name) : name_(lsm_name) {}
    hook_base(const hook_base&) = delete;
    hook_base& operator=(const hook_base&) = delete;
    ~hook_base()
    {
        if (added()) {
            std::fprintf(stderr,
                         "sockmodel: LSM hook \"%.*s\" destroyed while still added to a kernel: "
                         "call security_hooks.remove() (or destroy the kernel) first\n",
                         static_cast<int>(name_.size()), name_.data());
            std::abort();
        }
    }

    std::string_view name() const { return name_; }
    bool added() const { return is_linked() || head_ != nullptr; }

private:
    template <class H>
    friend class hook_head;
    template <class H>
    friend class hook_head_rcu;
    std::string_view name_;
    const void* head_ = nullptr;  // the list it is on, to refuse a removal from another
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

// security_hook_heads.<hook>: the hooks of one kind, in call order.
template <class H>
class hook_head {
public:
    using list_type = boost::intrusive::list<H, boost::intrusive::base_hook<hook_base>,
                                             boost::intrusive::constant_time_size<false>>;

    hook_head() = default;
    hook_head(const hook_head&) = delete;
    hook_head& operator=(const hook_head&) = delete;
    ~hook_head()
    {
        for (H& h : list_)
            h.head_ = nullptr;  // the list's destructor unlinks them
    }

    void add(H& h)
    {
        if (h.added())
            throw std::logic_error("security_add_hooks: LSM hook \"" + std::string(h.name()) +
                                   "\" is already added: remove it first");
        list_.push_back(h);
        h.head_ = this;
    }
    void remove(H& h)
    {
        if (!h.is_linked() || h.head_ != this)
            throw std::logic_error("security_hooks.remove: LSM hook \"" + std::string(h.name()) +
                                   "\" is not added to this kernel (removed twice, or never added)");
        list_.erase(list_.iterator_to(h));
        h.head_ = nullptr;
    }
    bool empty() const { return list_.empty(); }
    std::size_t size() const { return list_.size(); }
    const list_type& list() const { return list_; }

private:
    list_type list_;
};

// The run-time hook lists a kernel holds (k.security_hooks).
struct hook_heads {
    hook_head<socket_create_hook> socket_create;
    hook_head<socket_post_create_hook> socket_post_create;

    void add(socket_create_hook& h) { socket_create.add(h); }
    void add(socket_post_create_hook& h) { socket_post_create.add(h); }
    void remove(socket_create_hook& h) { socket_create.remove(h); }
    void remove(socket_post_create_hook& h) { socket_post_create.remove(h); }
    bool empty() const { return socket_create.empty() && socket_post_create.empty(); }
};

// --- the same under opt::locking<lock::smp> -----------------------------------
//
// security/security.c walks its hook lists under RCU (hlist_for_each_entry
// with static calls since 6.x; before, the lists were RCU lists): socket()
// must never block on a hook being added or removed, nor see a half-linked
// one. An intrusive list relinked in place cannot give that, so here each
// hook kind is an immutable array of hook pointers published by one atomic
// pointer (rcu_assign_pointer / rcu_dereference):
//   - readers (security_socket_create, ...) load it inside rcu_read_lock on
//     their CPU (smp_state's per-CPU nesting count, as net_families[]) and
//     call each hook; they never take a lock;
//   - writers (add, remove) serialise on the head's mutex, publish a new
//     array, wait for a grace period (smp.synchronize_rcu()) and only then
//     free the old array; remove returns after that grace period, so the
//     caller may destroy the hook as soon as remove returns.
template <class H>
class hook_head_rcu {
public:
    struct array {
        std::vector<const H*> hooks;
    };

    hook_head_rcu() = default;
    hook_head_rcu(const hook_head_rcu&) = delete;
    hook_head_rcu& operator=(const hook_head_rcu&) = delete;
    ~hook_head_rcu()
    {
        // The kernel goes first: the hooks still added are let go.
        const array* a = cur_.load(std::memory_order_relaxed);
        if (a)
            for (const H* h : a->hooks)
                const_cast<H*>(h)->head_ = nullptr;
        delete a;
    }

    void attach(smp_state& smp) { smp_ = &smp; }

    void add(H& h)
    {
        std::lock_guard g(mutex_);
        if (h.added())
            throw std::logic_error("security_add_hooks: LSM hook \"" + std::string(h.name()) +
                                   "\" is already added: remove it first");
        const array* old = cur_.load(std::memory_order_relaxed);
        auto next = std::make_unique<array>();
        if (old)
            next->hooks = old->hooks;
        next->hooks.push_back(&h);
        h.head_ = this;
        publish(next.release(), old);
    }
    void remove(H& h)
    {
        std::lock_guard g(mutex_);
        const array* old = cur_.load(std::memory_order_relaxed);
        if (h.head_ != this || !old)
            throw std::logic_error("security_hooks.remove: LSM hook \"" + std::string(h.name()) +
                                   "\" is not added to this kernel (removed twice, or never added)");
        array* next = nullptr;
        if (old->hooks.size() > 1) {
            next = new array;
            for (const H* x : old->hooks)
                if (x != &h)
                    next->hooks.push_back(x);
        }
        publish(next, old);  // returns after the grace period: no reader still sees h
        h.head_ = nullptr;
    }
    bool empty() const
    {
        std::lock_guard g(mutex_);
        return cur_.load(std::memory_order_relaxed) == nullptr;
    }
    std::size_t size() const
    {
        std::lock_guard g(mutex_);
        const array* a = cur_.load(std::memory_order_relaxed);
        return a ? a->hooks.size() : 0;
    }

    // rcu_dereference: call inside rcu_read_lock; nullptr when no hook is added.
    const array* read() const { return cur_.load(std::memory_order_acquire); }

private:
    // rcu_assign_pointer, synchronize_rcu, then free what no reader can still hold.
    void publish(array* next, const array* old)
    {
        cur_.store(next, std::memory_order_release);
        if (old) {
            smp_->synchronize_rcu();
            delete old;
        }
    }

    std::atomic<const array*> cur_{nullptr};
    mutable std::mutex mutex_;
    smp_state* smp_ = nullptr;
};

// The run-time hook lists of a lock::smp kernel (k.security_hooks): the same
// calls as hook_heads.
struct hook_heads_rcu {
    hook_head_rcu<socket_create_hook> socket_create;
    hook_head_rcu<socket_post_create_hook> socket_post_create;

    void attach(smp_state& smp)
    {
        socket_create.attach(smp);
        socket_post_create.attach(smp);
    }
    void add(socket_create_hook& h) { socket_create.add(h); }
    void add(socket_post_create_hook& h) { socket_post_create.add(h); }
    void remove(socket_create_hook& h) { socket_create.remove(h); }
    void remove(socket_post_create_hook& h) { socket_post_create.remove(h); }
    bool empty() const { return socket_create.empty() && socket_post_create.empty(); }
};

// A kernel built without run-time hooks (opt::runtime_lsm<false>, the default):
// nothing to store, nothing to check.
struct no_hook_heads {};

// An LSM whose answers a test or a user sets at run time (0 = allow).
struct settable {
    static constexpr std::string_view name = "settable";
    int create_ret = 0;
    int post_create_ret = 0;
    int socketpair_ret = 0;

    constexpr int socket_create(const cred&, int, int, int, int) const { return create_ret; }
    constexpr int socket_post_create(const cred&, const socket*, int, int, int, int) const
    {
        return post_create_ret;
    }
    constexpr int socket_socketpair(const cred&, const socket*, const socket*) const { return socketpair_ret; }
};

}  // namespace sockmodel::lsm

namespace sockmodel {

// call_int_hook: the first module that answers non-zero decides.
template <class Chain, class Hook>
constexpr int lsm_first_nonzero(Chain& chain, Hook&& hook)
{
    return std::apply([&](auto&... m) {
        int rc = 0;
        ((rc == 0 ? (rc = hook(m)) : 0), ...);
        return rc;
    }, chain.modules);
}

inline std::string lsm_answer(std::string_view name, int rc)
{
    return std::string(name) + ": " + (rc ? std::string(errno_name(rc)) : std::string("allow"));
}

// call_int_hook over the run-time list of one hook: in order, the first
// non-zero answer wins and the rest are not called. Each answer is a trace note.
template <class K, class H, class... A>
int lsm_run_hooks(context<K>& cx, const char* fn, const lsm::hook_head<H>& head, const A&... args)
{
    for (const H& h : head.list()) {
        const int rc = h(args...);
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, fn, [&] { return lsm_answer(h.name(), rc); });
        if (rc)
            return rc;
    }
    return 0;
}

// The same over an RCU-published array (lock::smp): inside rcu_read_lock on
// the caller's CPU, left on every way out (a hook may throw).
template <class K, class H, class... A>
int lsm_run_hooks(context<K>& cx, const char* fn, const lsm::hook_head_rcu<H>& head, const A&... args)
{
    struct rcu_section {
        smp_state& smp;
        cpu_area& cpu;
        rcu_section(smp_state& s, cpu_area& c) : smp(s), cpu(c) { smp.rcu_read_lock(cpu); }
        ~rcu_section() { smp.rcu_read_unlock(cpu); }
        rcu_section(const rcu_section&) = delete;
        rcu_section& operator=(const rcu_section&) = delete;
    } rcu(cx.k.smp, *cx.current.cpu);
    const auto* a = head.read();
    if (!a)
        return 0;
    for (const H* h : a->hooks) {
        const int rc = (*h)(args...);
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, fn, [&] { return lsm_answer(h->name(), rc); });
        if (rc)
            return rc;
    }
    return 0;
}

template <class K>
int security_socket_create(context<K>& cx, int family, int type, int protocol, int kern)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "security_socket_create");
    if constexpr (trace::on<decltype(cx)>) t.describe([&] {
        return trace::decode_socket_args<abi>(family, type, protocol) + ", kern=" + std::to_string(kern);
    });
    if (should_fail(cx, fault_point::security_socket_create))
        return t.ret(fault_info(fault_point::security_socket_create).err);
    const cred& c = cx.current.cred;
    int rc = lsm_first_nonzero(cx.k.security, [&](auto& m) {
        const int r = m.socket_create(c, family, type, protocol, kern);
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, "security_socket_create", [&] { return lsm_answer(m.name, r); });
        return r;
    });
    if constexpr (K::runtime_lsm && K::locked) {
        if (rc == 0)
            rc = lsm_run_hooks(cx, "security_socket_create", cx.k.security_hooks.socket_create,
                               c, family, type, protocol, kern);
    } else if constexpr (K::runtime_lsm)
        if (rc == 0 && !cx.k.security_hooks.socket_create.empty())
            rc = lsm_run_hooks(cx, "security_socket_create", cx.k.security_hooks.socket_create,
                               c, family, type, protocol, kern);
    return t.ret(rc);
}

template <class K>
int security_socket_post_create(context<K>& cx, socket& sock, int family, int type, int protocol, int kern)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "security_socket_post_create");
    if constexpr (trace::on<decltype(cx)>) t.describe([&] {
        return trace::decode_socket_args<abi>(family, type, protocol) + ", kern=" + std::to_string(kern);
    });
    if (should_fail(cx, fault_point::security_socket_post_create))
        return t.ret(fault_info(fault_point::security_socket_post_create).err);
    const cred& c = cx.current.cred;
    int rc = lsm_first_nonzero(cx.k.security, [&](auto& m) {
        const int r = m.socket_post_create(c, &sock, family, type, protocol, kern);
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, "security_socket_post_create", [&] { return lsm_answer(m.name, r); });
        return r;
    });
    if constexpr (K::runtime_lsm && K::locked) {
        if (rc == 0)
            rc = lsm_run_hooks(cx, "security_socket_post_create", cx.k.security_hooks.socket_post_create,
                               c, static_cast<const socket*>(&sock), family, type, protocol, kern);
    } else if constexpr (K::runtime_lsm)
        if (rc == 0 && !cx.k.security_hooks.socket_post_create.empty())
            rc = lsm_run_hooks(cx, "security_socket_post_create", cx.k.security_hooks.socket_post_create,
                               c, static_cast<const socket*>(&sock), family, type, protocol, kern);
    return t.ret(rc);
}

// security_socket_socketpair: __sys_socketpair's hook, after both sockets
// exist. An LSM without a socket_socketpair member allows (no hook registered).
template <class K>
int security_socket_socketpair(context<K>& cx, socket& socka, socket& sockb)
{
    auto t = trace::enter(cx, "security_socket_socketpair");
    const cred& c = cx.current.cred;
    return t.ret(lsm_first_nonzero(cx.k.security, [&](auto& m) {
        if constexpr (requires { m.socket_socketpair(c, &socka, &sockb); }) {
            const int rc = m.socket_socketpair(c, &socka, &sockb);
            if constexpr (trace::on<decltype(cx)>) trace::note(cx, "security_socket_socketpair", [&] {
                return std::string(m.name) + ": " + (rc ? std::string(errno_name(rc)) : std::string("allow"));
            });
            return rc;
        } else {
            return 0;
        }
    }));
}

}  // namespace sockmodel
