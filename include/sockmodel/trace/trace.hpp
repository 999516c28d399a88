// Tracing as a compile-time policy. Every modelled kernel function opens a
// scope on entry and closes it with its return value; decisions in between are
// notes. With trace::none the describe-callbacks are never instantiated into
// calls and the scope is an empty object, so the generated code does no
// tracing work (bench/socket_close.cpp times trace::none beside the floor of
// three slab pops and pushes plus an fd-bitmap set and clear).
//
// Tracepoints, as the kernel's trace_<event>() calls: a function opens a
// scope with trace::enter and says what it decided with
//
//     auto t = trace::enter(cx, "sock_map_fd");
//     SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return decode(flags); });
//     SOCKMODEL_TRACE_NOTE(cx, "sock_map_fd", [&] { return "..."; });
//
// With trace::none the macros' arguments are never evaluated: no closure is
// built, no local has its address taken, and the function is the same to the
// optimiser as one without tracing (bench/icount.sh measures trace::none
// against a build with the tracepoints removed). Function bodies do not test
// whether tracing is on.
#pragma once

#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sockmodel::trace {

enum class kind { enter, note, exit };

struct event {
    kind what;
    int depth;               // nesting: 0 for the syscall itself
    std::string_view fn;     // the kernel function this belongs to
    kstring text;            // enter: decoded arguments; note: the decision
    long ret = 0;            // exit: the return value (-errno on failure)
    bool has_ret = false;    // exit of a void function has none
    bool is_pointer = false; // exit of a function returning a pointer (NULL or not)
};

// The policy that records nothing.
struct none {};

// The policy that records every event in order, for renderers and tests.
struct recorder {
    std::vector<event> events;
    int depth = 0;

    void clear()
    {
        events.clear();
        depth = 0;
    }
};

template <class Tracer>
inline constexpr bool enabled = !std::is_same_v<Tracer, none>;

// Closes a traced function. Destroying it without ret() records a plain exit.
template <bool On>
class scope;

// Whether the kernel of call context Cx records events: the guard of a
// capturing describe-callback (see the top of this file).
template <class Cx>
inline constexpr bool on = enabled<std::remove_cvref_t<decltype(std::declval<Cx&>().k.tracer)>>;

template <>
class scope<false> {
public:
    // User-provided, so an unused scope is not "set but not used"; still free.
    constexpr scope() noexcept {}
    constexpr ~scope() {}
    template <class T>
    constexpr T ret(T value) const noexcept { return value; }
    template <class T>
    constexpr T* ret_ptr(T* p) const noexcept { return p; }
    template <class Describe>
    constexpr void describe(Describe&&) const noexcept {}
};

template <>
class scope<true> {
public:
    scope(recorder* r, std::string_view fn) : r_(r), fn_(fn), enter_(r->events.size() - 1) {}
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    ~scope()
    {
        if (r_)
            close(0, false, false);
    }

    // The enter event's text (the decoded arguments), given right after enter().
    template <class Describe>
    void describe(Describe&& d)
    {
        r_->events[enter_].text = kstring(std::forward<Describe>(d)());
    }

    template <class T>
    T ret(T value)
    {
        close(static_cast<long>(value), true, false);
        return value;
    }
    template <class T>
    T* ret_ptr(T* p)
    {
        close(p ? 1 : 0, true, true);
        return p;
    }

private:
    void close(long v, bool has, bool ptr)
    {
        --r_->depth;
        r_->events.push_back({kind::exit, r_->depth, fn_, {}, v, has, ptr});
        r_ = nullptr;
    }
    recorder* r_;
    std::string_view fn_;
    std::size_t enter_;  // index of this scope's enter event in r_->events
};

// A call context (kernel/context.hpp) reaches its kernel's `tracer`, of the
// configuration's policy type.
template <class Cx, class Describe>
auto enter(Cx& cx, std::string_view fn, Describe&& describe)
{
    if constexpr (enabled<std::remove_cvref_t<decltype(cx.k.tracer)>>) {
        auto& r = cx.k.tracer;
        r.events.push_back({kind::enter, r.depth, fn, kstring(std::forward<Describe>(describe)())});
        ++r.depth;
        return scope<true>(&r, fn);
    } else {
        return scope<false>{};
    }
}

template <class Cx>
auto enter(Cx& cx, std::string_view fn)
{
    return enter(cx, fn, [] { return kstring(); });
}

template <class Cx, class Describe>
void note(Cx& cx, std::string_view fn, Describe&& describe)
{
    if constexpr (enabled<std::remove_cvref_t<decltype(cx.k.tracer)>>) {
        auto& r = cx.k.tracer;
        r.events.push_back({kind::note, r.depth, fn, kstring(std::forward<Describe>(describe)())});
    }
}

}  // namespace sockmodel::trace

// A note in function `fn` (a string_view), its text built by the callable
// only when the kernel of `cx` records.
#define SOCKMODEL_TRACE_NOTE(cx, fn, ...)                                         \
    do {                                                                          \
        if constexpr (::sockmodel::trace::on<decltype(cx)>)                       \
            ::sockmodel::trace::note((cx), (fn), __VA_ARGS__);                    \
    } while (false)

// The decoded arguments of the scope `t` opened by trace::enter.
#define SOCKMODEL_TRACE_DESCRIBE(cx, t, ...)                                      \
    do {                                                                          \
        if constexpr (::sockmodel::trace::on<decltype(cx)>)                       \
            (t).describe(__VA_ARGS__);                                            \
    } while (false)

