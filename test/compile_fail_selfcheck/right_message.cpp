// Self-check: must PASS. Rejected with exactly the expected message; its twin
// (-DSOCKMODEL_COMPILE_FAIL_TWIN) compiles.
// expect-error: selfcheck: the right message

template <typename T>
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
inline constexpr bool always_false = true;
#else
inline constexpr bool always_false = false;
#endif

template <typename T>
void reject() {
    static_assert(always_false<T>, "selfcheck: the right message");
}

void instantiate() { reject<int>(); }
