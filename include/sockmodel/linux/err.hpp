// ERR_PTR/IS_ERR/PTR_ERR (include/linux/err.h): a pointer or a negative errno,
// kept as two fields instead of one word so the model stays free of UB.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

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

// What a detected BUG()/WARN() does: throw std::logic_error (the default, so a
// test can catch it), or print the rule to stderr and abort, as a kernel with
// panic_on_warn would stop (config option opt::on_bug<bug_policy::abort>).
enum class bug_policy { throw_logic_error, abort };

[[noreturn, gnu::cold, gnu::noinline]] inline void kernel_bug_abort(const std::string& what)
{
    std::fprintf(stderr, "sockmodel: kernel BUG: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

// BUG(): a rule of the kernel's internal API broken by a family, a table or a
// caller, never by the input of a system call, reported as policy P says. Out
// of line and cold, so the paths that check for it stay small.
template <bug_policy P>
[[noreturn, gnu::cold, gnu::noinline]] void kernel_bug(const std::string& what)
{
    if constexpr (P == bug_policy::abort)
        kernel_bug_abort(what);
    else
        throw std::logic_error(what);
}

// The configured policy of kernel K (its config's on_bug).
template <class K>
[[noreturn, gnu::cold, gnu::noinline]] void kernel_bug(const std::string& what)
{
    kernel_bug<K::config::on_bug>(what);
}

}  // namespace sockmodel
