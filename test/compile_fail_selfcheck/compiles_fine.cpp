// Self-check: the harness must FAIL this TU with compiled-successfully: it is
// valid C++, so no diagnostic at all is produced.
// expect-error: selfcheck: this TU is valid

template <typename T>
inline constexpr bool always_true = true;

static_assert(always_true<int>, "selfcheck: this TU is valid");

int main() { return 0; }
