// Self-check: the harness must FAIL this TU with message-not-found: it is
// rejected, but not with the diagnostic named below.
// expect-error: selfcheck: a message the compiler never prints

template <typename T>
inline constexpr bool always_false = false;

template <typename T>
void reject() {
    static_assert(always_false<T>, "selfcheck: some other message");
}

void instantiate() { reject<int>(); }
