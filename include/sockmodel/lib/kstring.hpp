// kstring: the text of a trace note or of a BUG() report, the model's
// kasprintf (lib/kasprintf.c) and seq_buf. It is built only on cold paths
// (tracing on, a detected misuse), so it is a plain growable buffer; it keeps
// <string> out of every translation unit that includes the library, which
// costs a TU about half of what the rest of the library costs (bench/
// compile_time.sh). A kstring converts to std::string_view, and to any string
// type that is built from a pointer and a length (std::string included) where
// the program has that type.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace sockmodel {

class kstring {
public:
    kstring() noexcept = default;
    kstring(std::string_view s) { append(s); }                   // NOLINT: implicit, as std::string's
    kstring(const char* s) { append(std::string_view(s)); }      // NOLINT
    kstring(const kstring& o) { append(o.view()); }
    kstring(kstring&& o) noexcept : p_(o.p_), n_(o.n_), cap_(o.cap_) { o.p_ = nullptr, o.n_ = o.cap_ = 0; }
    kstring& operator=(kstring o) noexcept
    {
        swap(o);
        return *this;
    }
    ~kstring() { delete[] p_; }

    void swap(kstring& o) noexcept
    {
        char* p = p_;
        p_ = o.p_, o.p_ = p;
        std::size_t n = n_;
        n_ = o.n_, o.n_ = n;
        n = cap_;
        cap_ = o.cap_, o.cap_ = n;
    }

    kstring& append(std::string_view s)
    {
        // No text is longer than half the address space; saying so keeps
        // GCC's -Wstringop-overflow from imagining one at -O3.
        if (s.size() > limit || n_ > limit) [[unlikely]]
            __builtin_trap();
        const std::size_t need = n_ + s.size() + 1;
        if (need > cap_) {
            std::size_t cap = cap_ < 16 ? 32 : cap_ * 2;
            if (cap < need)
                cap = need;
            char* p = new char[cap];
            if (n_)
                __builtin_memcpy(p, p_, n_);
            if (!s.empty())  // before the old buffer goes: s may be a view of it
                __builtin_memcpy(p + n_, s.data(), s.size());
            delete[] p_;
            p_ = p, cap_ = cap;
        } else if (!s.empty()) {
            __builtin_memmove(p_ + n_, s.data(), s.size());
        }
        n_ += s.size();
        p_[n_] = '\0';
        return *this;
    }
    // Pads with c up to n characters, or cuts back to n.
    kstring& resize(std::size_t n, char c = '\0')
    {
        if (n < n_) {
            n_ = n;
            p_[n_] = '\0';
        }
        while (n_ < n)
            *this += c;
        return *this;
    }
    kstring& operator+=(std::string_view s) { return append(s); }
    kstring& operator+=(char c) { return append(std::string_view(&c, 1)); }

    std::string_view view() const noexcept { return {p_ ? p_ : "", n_}; }
    const char* c_str() const noexcept { return p_ ? p_ : ""; }
    std::size_t size() const noexcept { return n_; }
    bool empty() const noexcept { return n_ == 0; }
    const char* data() const noexcept { return c_str(); }
    const char* begin() const noexcept { return c_str(); }
    const char* end() const noexcept { return c_str() + n_; }
    char operator[](std::size_t i) const noexcept { return c_str()[i]; }
    // std::string_view's look-ups, on the text.
    std::size_t find(std::string_view s, std::size_t pos = 0) const noexcept { return view().find(s, pos); }
    bool starts_with(std::string_view s) const noexcept { return view().starts_with(s); }
    bool ends_with(std::string_view s) const noexcept { return view().ends_with(s); }
    static constexpr std::size_t npos = std::string_view::npos;
    operator std::string_view() const noexcept { return view(); }  // NOLINT
    // std::string and its kin, where the program has them.
    template <class S>
        requires(!std::is_same_v<S, std::string_view> && std::is_constructible_v<S, const char*, std::size_t>)
    operator S() const { return S(c_str(), n_); }  // NOLINT

    friend kstring operator+(kstring a, std::string_view b) { return static_cast<kstring&&>(a.append(b)); }
    friend kstring operator+(kstring a, const kstring& b) { return static_cast<kstring&&>(a.append(b.view())); }
    friend kstring operator+(kstring a, const char* b) { return static_cast<kstring&&>(a.append(b)); }
    friend kstring operator+(kstring a, char b) { return static_cast<kstring&&>(a += b); }
    friend kstring operator+(std::string_view a, const kstring& b) { return static_cast<kstring&&>(kstring(a).append(b.view())); }
    friend kstring operator+(const char* a, const kstring& b) { return static_cast<kstring&&>(kstring(a).append(b.view())); }
    friend bool operator==(const kstring& a, const kstring& b) noexcept { return a.view() == b.view(); }
    friend bool operator==(const kstring& a, std::string_view b) noexcept { return a.view() == b; }
    friend bool operator==(const kstring& a, const char* b) noexcept { return a.view() == std::string_view(b); }

private:
    static constexpr std::size_t limit = static_cast<std::size_t>(__PTRDIFF_MAX__) / 2;
    char* p_ = nullptr;
    std::size_t n_ = 0;
    std::size_t cap_ = 0;
};

// The decimal text of an integer, as std::to_string gives it.
template <class T>
    requires std::is_integral_v<T>
kstring to_kstring(T v)
{
    char buf[24];
    char* end = buf + sizeof buf;
    char* p = end;
    using U = std::make_unsigned_t<T>;
    const bool neg = v < 0;
    U u = neg ? U(0) - U(v) : U(v);
    do {
        *--p = char('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg)
        *--p = '-';
    return kstring(std::string_view(p, std::size_t(end - p)));
}

}  // namespace sockmodel
