#!/usr/bin/env bash
# Configure, build and test sockmodel with each preset (default: dev-gcc
# (GCC, UBSan: every test, tool, benchmark build and compiler check),
# dev-clang (Clang, ASan+UBSan with LeakSanitizer: every test, the compiler
# checks and the fuzzer, 60 s over the seed corpus), libcxx (Clang with
# libc++: the unit and constexpr tests) and tsan (Clang ThreadSanitizer: the
# lock::smp stress tests)); override with SOCKMODEL_PRESETS="dev-gcc" etc.
# Always runs every preset, then prints one line per preset and a final
# "N passed, N failed" counting CTest tests; a preset that fails to configure
# or build counts as one failure. Exit status is non-zero if anything failed.
#
# Each phase (configure, build, test) prints its wall-clock time and the CPU
# time (user + sys) of the processes it ran: on a shared machine the CPU time
# is the steadier figure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/deps.sh

read -r -a presets <<< "${SOCKMODEL_PRESETS:-dev-gcc dev-clang libcxx tsan}"
jobs=$(nproc 2>/dev/null || echo 2)

total_passed=0
total_failed=0
summary=()
log=$(mktemp)
times_out=$(mktemp)
trap 'rm -f "$log" "$times_out"' EXIT

# now_wall: seconds since the epoch, to the millisecond.
now_wall() { date +%s.%3N; }
# cpu_mark: writes to $times_out the user + sys seconds of this shell's
# finished children (bash `times`, second line: "XmY.YYYs XmY.YYYs"). Not in
# a $(...): a subshell's `times` would not count this shell's children.
cpu_mark() {
    times > "$times_out"
}
cpu_read() {
    awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.1f", t }' "$times_out"
}
# phase NAME CMD...: runs CMD, prints "[preset] NAME: W s wall, C s CPU" and
# appends "NAME W/C" to phase_times; returns CMD's status.
phase() {
    local name=$1 w0 c0 w1 c1 rc=0
    shift
    w0=$(now_wall)
    cpu_mark
    c0=$(cpu_read)
    "$@" || rc=$?
    w1=$(now_wall)
    cpu_mark
    c1=$(cpu_read)
    local w c
    w=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.0f", b - a }')
    c=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.0f", b - a }')
    echo "=== [$p] $name: ${w} s wall, ${c} s CPU ==="
    phase_times+=("$name ${w}/${c}")
    return $rc
}

for p in "${presets[@]}"; do
    echo "=== [$p] configure / build / test ==="
    start=$SECONDS
    status=""
    phase_times=()
    if ! phase configure cmake --preset "$p"; then
        status="configure FAILED"
    elif ! phase build cmake --build --preset "$p" --parallel "$jobs"; then
        status="build FAILED"
    fi

    if [[ -n $status ]]; then
        total_failed=$((total_failed + 1))
    else
        ctest_rc=0
        phase test bash -c 'set -o pipefail; ctest --preset "$1" --parallel 2 2>&1 | tee "$2"' _ "$p" "$log" || ctest_rc=$?
        # e.g. "100% tests passed, 0 tests failed out of 12"
        line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
        if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
            failed=${BASH_REMATCH[1]}
            passed=$((BASH_REMATCH[2] - failed))
            total_passed=$((total_passed + passed))
            total_failed=$((total_failed + failed))
            status="$passed passed, $failed failed"
            if [[ $ctest_rc -ne 0 && $failed -eq 0 ]]; then
                status+=" (ctest exited $ctest_rc)"
                total_failed=$((total_failed + 1))
            fi
        else
            status="ctest FAILED (exit $ctest_rc, no summary line)"
            total_failed=$((total_failed + 1))
        fi
    fi
    summary+=("$(printf '%-10s %s in %ds (wall/CPU s: %s)' "$p:" "$status" $((SECONDS - start)) "$(IFS=,; echo "${phase_times[*]}" | sed 's/,/, /g')")")
done

echo
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
