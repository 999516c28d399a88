// Self-check: must PASS. Rejected with exactly the expected message.
// expect-error: selfcheck: the right message

template <typename T>
inline constexpr bool always_false = false;

template <typename T>
void reject() {
    static_assert(always_false<T>, "selfcheck: the right message");
}

void instantiate() { reject<int>(); }
