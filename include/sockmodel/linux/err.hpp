// ERR_PTR/IS_ERR/PTR_ERR (include/linux/err.h): a pointer or a negative errno,
// kept as two fields instead of one word so the model stays free of UB.
#pragma once

#include <sockmodel/lib/kstring.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace sockmodel {

template <class T>
struct err_ptr {
    T* ptr = nullptr;
    int err = 0;

    constexpr err_ptr(T* p) : ptr(p) {}  // NOLINT: implicit, as a kernel pointer return
    static constexpr err_ptr error(int e) { err_ptr r(nullptr); r.err = e; return r; }

    constexpr bool IS_ERR() const { return err != 0; }
    constexpr int PTR_ERR() const { return err; }
};

template <class T>
constexpr err_ptr<T> ERR_PTR(int e) { return err_ptr<T>::error(e); }

// What the library throws when it detects a misuse: a BUG() (a rule of the
// kernel's internal API broken), a stale or foreign task, a bad fault rule. A
// std::exception whose what() names the rule broken; the library throws
// nothing else of its own (std::bad_alloc aside).
class error : public std::exception {
public:
    explicit error(kstring what) : what_(static_cast<kstring&&>(what)) {}
    const char* what() const noexcept override { return what_.c_str(); }

private:
    kstring what_;
};
// A BUG(): the internal API's rule broken (bug_policy::throw_error).
class bug_error : public error {
    using error::error;
};
// An argument to the library's own API (a fault rule, a capacity) out of range.
class invalid_argument : public error {
    using error::error;
};

// What a detected BUG()/WARN() does: throw bug_error (the default, so a test
// can catch it), or print the rule to stderr and abort, as a kernel with
// panic_on_warn would stop (config option opt::on_bug<bug_policy::abort>).
enum class bug_policy { throw_error, abort, throw_logic_error [[deprecated("bug_policy::throw_error")]] = throw_error };

[[noreturn, gnu::cold, gnu::noinline]] inline void kernel_bug_abort(const kstring& what)
{
    std::fprintf(stderr, "sockmodel: kernel BUG: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

// BUG(): a rule of the kernel's internal API broken by a family, a table or a
// caller, never by the input of a system call, reported as policy P says. Out
// of line and cold, so the paths that check for it stay small.
template <bug_policy P>
[[noreturn, gnu::cold, gnu::noinline]] void kernel_bug(const kstring& what)
{
    if constexpr (P == bug_policy::abort)
        kernel_bug_abort(what);
    else
        throw bug_error(what);
}

// The configured policy of kernel K (its config's on_bug).
template <class K>
[[noreturn, gnu::cold, gnu::noinline]] void kernel_bug(const kstring& what)
{
    kernel_bug<K::config::on_bug>(what);
}

}  // namespace sockmodel
