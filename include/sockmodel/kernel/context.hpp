// The call context: the model kernel a system call runs in and the task making
// it (the kernel's `current`). Every modelled kernel function receives it, so
// nothing reads a "current task" from shared state and two system calls can be
// in flight at once. Function tables (proto_ops, proto, net_proto_family,
// file_operations) are constant data shared by every kernel of a
// configuration; their entries receive the context as `void*` and are
// generated per kernel type by kernel_fn.
#pragma once

#include <cstddef>
#include <type_traits>

namespace sockmodel {

struct task_struct;

template <class K>
struct context {
    K& k;
    task_struct& current;
};

// Binds a context-taking function template instance to the `void*` signature
// of the tables.
template <class K, auto Fn>
struct kernel_fn;

// With tracing off (K::flat_path), each entry is compiled as one function:
// everything it calls is inlined into it (gnu::flatten), as the system call
// that reaches it through the table is (kernel::socket, ...). Traced kernels
// keep ordinary calls: flattened, every note's string building would be
// copied into every caller. One `call` either way, so that
// &kernel_fn<K, Fn>::call names one function.
namespace detail {
template <class K, auto Fn, class R, class... Args>
struct kernel_fn_flat {
    [[gnu::flatten]] static R call(void* cx, Args... args) { return Fn(*static_cast<context<K>*>(cx), args...); }
};
template <class K, auto Fn, class R, class... Args>
struct kernel_fn_plain {
    static R call(void* cx, Args... args) { return Fn(*static_cast<context<K>*>(cx), args...); }
};
}  // namespace detail

template <class K, class R, class... Args, R (*Fn)(context<K>&, Args...)>
struct kernel_fn<K, Fn> : std::conditional_t<K::flat_path, detail::kernel_fn_flat<K, Fn, R, Args...>,
                                             detail::kernel_fn_plain<K, Fn, R, Args...>> {};

// A function slot of a constant table that knows whether it was filled. Checks
// of a table at compile time read is_set() instead of comparing the function's
// address with NULL, which GCC cannot fold in a constant expression under
// -fsanitize=undefined (or -fno-delete-null-pointer-checks, which it implies).
template <class Sig>
class fn_slot;

template <class R, class... A>
class fn_slot<R(A...)> {
public:
    constexpr fn_slot() = default;
    constexpr fn_slot(R (*f)(A...)) : fn_(f), set_(true) {}  // NOLINT: implicit, as a pointer initializer
    fn_slot(std::nullptr_t) = delete;                          // leave the slot out instead

    constexpr bool is_set() const { return set_; }
    explicit operator bool() const { return set_; }
    constexpr R operator()(A... a) const { return fn_(a...); }

private:
    R (*fn_)(A...) = nullptr;
    bool set_ = false;
};

}  // namespace sockmodel
