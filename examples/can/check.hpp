// A tiny checker for the example programs: each check prints a line when it
// fails; finish() prints "N passed, M failed" and gives the exit status.
#pragma once

#include <cstdio>
#include <string_view>

namespace can_example {

class checker {
public:
    void operator()(bool ok, std::string_view what)
    {
        if (ok) {
            ++passed_;
            return;
        }
        ++failed_;
        std::printf("FAILED: %.*s\n", static_cast<int>(what.size()), what.data());
    }

    // a == b, printing both when they differ.
    void equal(long a, long b, std::string_view what)
    {
        if (a != b)
            std::printf("  got %ld, want %ld\n", a, b);
        (*this)(a == b, what);
    }

    int finish() const
    {
        std::printf("%d passed, %d failed\n", passed_, failed_);
        return failed_ == 0 && passed_ > 0 ? 0 : 1;
    }

private:
    int passed_ = 0;
    int failed_ = 0;
};

}  // namespace can_example
