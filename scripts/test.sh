#!/usr/bin/env bash
# Configure, build and test sockmodel with each preset (default: dev-gcc and
# dev-clang, asan (Clang ASan+UBSan; LeakSanitizer on), ubsan-gcc (GCC UBSan),
# fuzz (the libFuzzer target, 60 s over the seed corpus) and tsan (Clang
# ThreadSanitizer, the lock::smp stress tests, 5 s each); override with
# SOCKMODEL_PRESETS="dev-gcc" etc. Always runs every
# preset, then prints one line per preset and a final "N passed, N failed"
# counting CTest tests; a preset that fails to configure or build counts as
# one failure. Exit status is non-zero if anything failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/deps.sh

read -r -a presets <<< "${SOCKMODEL_PRESETS:-dev-gcc dev-clang asan ubsan-gcc fuzz tsan}"
jobs=$(nproc 2>/dev/null || echo 2)

total_passed=0
total_failed=0
summary=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for p in "${presets[@]}"; do
    echo "=== [$p] configure / build / test ==="
    start=$SECONDS
    status=""
    if ! cmake --preset "$p"; then
        status="configure FAILED"
    elif ! cmake --build --preset "$p" --parallel "$jobs"; then
        status="build FAILED"
    fi

    if [[ -n $status ]]; then
        total_failed=$((total_failed + 1))
    else
        ctest_rc=0
        ctest --preset "$p" --parallel 2 2>&1 | tee "$log" || ctest_rc=$?
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
    summary+=("$(printf '%-10s %s in %ds' "$p:" "$status" $((SECONDS - start)))")
done

echo
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
