#!/usr/bin/env bash
# Every measurement of the allocation path, one command:
#   bash bench/run.sh            (as root, so the live kernel's rows run too)
# Builds the release preset's benchmarks, runs them (medians of 5
# repetitions, every ratio from one run of one binary), the callgrind counts
# (bench/icount.sh), memory and heap (sockmodel-bench-memory) and compile time
# (bench/compile_time.sh); prints a table of ratios against the targets and
# writes bench/results/: the raw outputs, summary.md and the plots
# fd_cost.svg and path_steps.svg (gnuplot; gnuplot-nox is installed here when
# missing: it is needed for the plots only, not for the build or the tests,
# so it is not in scripts/deps.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=$here/results
mkdir -p "$out"
cd "$root"

bash scripts/deps.sh
for p in valgrind gnuplot-nox; do
    if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
        apt-get install -y -qq --no-install-recommends "$p" >/dev/null
    fi
done

cmake --preset release >/dev/null
cmake --build --preset release --target sockmodel-bench-socket_close sockmodel-bench-fd_table sockmodel-bench-memory
bin=build/release/bench
# Repetitions randomly interleaved: on a machine whose speed drifts during the
# run (a shared host), no case is measured only in a slow stretch.
reps=(--benchmark_repetitions=5 --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
      --benchmark_format=json)

"$bin/sockmodel-bench-socket_close" "${reps[@]}" --benchmark_out="$out/socket_close.json" >/dev/null
"$bin/sockmodel-bench-fd_table" "${reps[@]}" --benchmark_out="$out/fd_table.json" >/dev/null
"$bin/sockmodel-bench-memory" > "$out/memory.txt"
bash "$here/icount.sh" "$out" > /dev/null
bash "$here/compile_time.sh" > "$out/compile_time.txt"

python3 "$here/summarize.py" "$out"
(cd "$out" && gnuplot "$here/plots.gp")
echo "run.sh: wrote $out/summary.md, $out/fd_cost.svg, $out/path_steps.svg"
