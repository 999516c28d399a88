// lib/: kstring (the notes' and BUG() messages' text) and kref_ptr (what
// tasks share), which keep <string> and <memory> out of the library's headers.
#include <sockmodel/lib/kref.hpp>
#include <sockmodel/lib/kstring.hpp>

#include <doctest/doctest.h>

#include <climits>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using sockmodel::kref_ptr;
using sockmodel::kstring;
using sockmodel::make_kref;
using sockmodel::to_kstring;

TEST_CASE("kstring: built as std::string builds the same text")
{
    const kstring a = "task " + to_kstring(-42) + ": " + kstring(std::string_view("exited")) + '!';
    CHECK(a == "task -42: exited!");
    CHECK(a.size() == 17);
    const std::string s = a;  // to std::string where the program has it
    CHECK(s == std::string("task ") + std::to_string(-42) + ": exited!");
    CHECK(std::string_view(a).starts_with("task"));
    CHECK(a.find("exited") == 10);
    CHECK(kstring().empty());
    CHECK(std::string_view(kstring().c_str()).empty());
}

TEST_CASE("to_kstring gives std::to_string's digits at the extremes")
{
    CHECK(to_kstring(0) == std::to_string(0));
    CHECK(to_kstring(LLONG_MIN) == std::to_string(LLONG_MIN));
    CHECK(to_kstring(ULLONG_MAX) == std::to_string(ULLONG_MAX));
    CHECK(to_kstring(std::int8_t{-128}) == "-128");
}

TEST_CASE("kstring: growing, appending itself, copies and moves")
{
    kstring a = "0123456789";
    for (int i = 0; i < 8; ++i)
        a += a.view();  // a view of its own buffer, across a reallocation
    CHECK(a.size() == 10u << 8);
    CHECK(a.view().substr(2550, 10) == "0123456789");
    kstring b = a;
    b.resize(3);
    CHECK(b == "012");
    b.resize(5, '.');
    CHECK(b == "012..");
    kstring c = static_cast<kstring&&>(b);
    CHECK(c == "012..");
    CHECK(b.empty());  // NOLINT: moved-from is empty
    c = a;
    CHECK(c.size() == a.size());
}

struct counted {
    int* destroyed;
    int value;
    counted(int* d, int v) : destroyed(d), value(v) {}
    counted(counted&& o) noexcept : destroyed(o.destroyed), value(o.value) { o.destroyed = nullptr; }
    ~counted()
    {
        if (destroyed)
            ++*destroyed;
    }
};

TEST_CASE("kref_ptr: every copy is a user; the last put frees, once")
{
    int destroyed = 0;
    kref_ptr<counted> a = make_kref<counted>(&destroyed, 7);
    CHECK(a.use_count() == 1);
    CHECK(a->value == 7);
    {
        kref_ptr<counted> b = a;
        kref_ptr<counted> c;
        c = b;
        CHECK(a.use_count() == 3);
        CHECK(b == a);
        CHECK(c.get() == a.get());
    }
    CHECK(a.use_count() == 1);
    CHECK(destroyed == 0);
    kref_ptr<counted> moved = static_cast<kref_ptr<counted>&&>(a);
    CHECK(a == nullptr);  // NOLINT: moved-from holds nothing
    CHECK(a.use_count() == 0);
    moved.reset();
    CHECK(destroyed == 1);
    CHECK(!moved);
}

}  // namespace
