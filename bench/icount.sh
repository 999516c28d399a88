#!/usr/bin/env bash
# Instructions per socket()+close(), deterministic (callgrind), for the whole
# path of every family/type, the floor, the model with tracing on, and the
# model compiled with the tracing calls taken out of its source ("absent").
# Then where the model's AF_INET/SOCK_STREAM instructions go, per function.
#
#   bash bench/icount.sh [OUTDIR]     (default OUTDIR: bench/results)
#
# Builds bench/icount/driver.cpp with ${CXX:-g++} -O2 -DNDEBUG, runs it under
#   valgrind --tool=callgrind --instr-atstart=no
# with N and 2N rounds between CALLGRIND_START/STOP_INSTRUMENTATION, and prints
# (I(2N) - I(N)) / N per operation. Writes OUTDIR/icount.txt ("icount NAME N"
# lines), OUTDIR/icount_inclusive.txt (callgrind_annotate --inclusive=yes, the
# top entries) and OUTDIR/icount_steps.dat (self instructions per function,
# per socket()+close(), for the bar chart).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$here/results}
mkdir -p "$out"
CXX=${CXX:-g++}
N=${ICOUNT_N:-2000}
command -v valgrind >/dev/null || { echo "icount.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=(-O2 -DNDEBUG -std=c++20)
# One configuration per program (see driver.cpp): the default one in driver
# and driver-absent, trace::recorder in driver-traced.
"$CXX" "${flags[@]}" -I"$root/include" "$here/icount/driver.cpp" -o "$tmp/driver"
"$CXX" "${flags[@]}" -DICOUNT_TRACED -I"$root/include" "$here/icount/driver.cpp" -o "$tmp/driver-traced"
"$CXX" "${flags[@]}" -DICOUNT_FAULTS -I"$root/include" "$here/icount/driver.cpp" -o "$tmp/driver-faults"
# The state floor must leave what the model leaves (bench/icount/state_check.cpp).
"$CXX" -std=c++20 -I"$root/include" -I"$here" "$here/icount/state_check.cpp" -o "$tmp/state-check"
"$tmp/state-check" || { echo "icount.sh: the state floor no longer leaves what the model leaves" >&2; exit 1; }
python3 "$here/icount/absent.py" "$root/include" "$tmp/absent-include"
"$CXX" "${flags[@]}" -w -I"$tmp/absent-include" "$here/icount/driver.cpp" -o "$tmp/driver-absent"

# total instrumented instructions of one run
irs() {
    local f="$tmp/cg.out"
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$f" "$@" >/dev/null 2>&1
    awk '/^totals:/ {print $2; exit}' "$f"
}
per_op() {  # BIN MODE CASE
    local a b
    a=$(irs "$1" "$2" "$3" "$N")
    b=$(irs "$1" "$2" "$3" $((2 * N)))
    awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / n }'
}

# data reads and writes of one run, "Dr Dw"
mem_irs() {
    local f="$tmp/cgm.out"
    valgrind --tool=callgrind --cache-sim=yes --instr-atstart=no --callgrind-out-file="$f" "$@" >/dev/null 2>&1
    awk '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i } /^totals:/ { print $col["Dr"], $col["Dw"]; exit }' "$f"
}
per_op_mem() {  # BIN MODE CASE -> "reads R writes W" per operation
    local a b
    a=$(mem_irs "$1" "$2" "$3" "$N")
    b=$(mem_irs "$1" "$2" "$3" $((2 * N)))
    awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "reads %.1f writes %.1f", (y[1] - x[1]) / n, (y[2] - x[2]) / n }'
}

names=$(grep -o '{"AF_[A-Z0-9_]*/[a-z]*"' "$here/common.hpp" | tr -d '{"')
{
    echo "# instructions per operation, callgrind, $CXX -O2 ($("$CXX" --version | head -1)), N=$N and 2N"
    floor=$(per_op "$tmp/driver" floor 0)
    state=$(per_op "$tmp/driver" state 0)
    malloc=$(per_op "$tmp/driver" malloc 0)
    echo "icount floor $floor"
    echo "icount floor/state $state"
    echo "icount malloc+free $malloc"
    i=0
    for name in $names; do
        v=$(per_op "$tmp/driver" model $i)
        echo "icount path/$name $v"
        [ "$name" = AF_INET/tcp ] && tcp=$v
        i=$((i + 1))
    done
    # AF_INET/tcp against the three anchors (bench/state_floor.hpp: the same
    # objects, fields and counters as straight-line stores; the old floor:
    # free lists and one bit; glibc malloc+free of the same sizes + the bitmap).
    awk -v m="$tcp" -v s="$state" -v f="$floor" -v a="$malloc" \
        'BEGIN { printf "ratio AF_INET/tcp/state_floor %.2f\nratio AF_INET/tcp/floor %.2f\nratio AF_INET/tcp/malloc+free %.2f\n", m / s, m / f, m / a }'
    # The same path built with the other compiler (Clang 14 against GCC 12).
    other=${OTHER_CXX:-clang++}
    if command -v "$other" >/dev/null && "$other" "${flags[@]}" -I"$root/include" "$here/icount/driver.cpp" -o "$tmp/driver-other" 2>/dev/null; then
        v=$(per_op "$tmp/driver-other" model 3)
        echo "icount other/$other/AF_INET/tcp $v"
        awk -v o="$v" -v m="$tcp" 'BEGIN { printf "ratio AF_INET/tcp/%s %.2f\n", "other_compiler", o / m }'
    fi
    echo "icount trace/AF_INET/tcp/none $(per_op "$tmp/driver" model 3)"
    echo "icount trace/AF_INET/tcp/absent $(per_op "$tmp/driver-absent" model 3)"
    echo "icount trace/AF_INET/tcp/recorder $(per_op "$tmp/driver-traced" traced 3)"
    echo "icount faults/AF_INET/tcp/inject $(per_op "$tmp/driver-faults" faults 3)"
    smp=$(per_op "$tmp/driver" smp 3)
    echo "icount smp/AF_INET/tcp $smp"
    awk -v s="$smp" -v m="$tcp" 'BEGIN { printf "ratio smp/none %.2f\n", s / m }'
    # Memory accesses per operation (callgrind --cache-sim=yes: Dr reads, Dw
    # writes, each one instruction at least): what the floor and the model
    # must touch.
    for who in "floor 0 floor" "model 3 path/AF_INET/tcp"; do
        set -- $who
        echo "dmem $3 $(per_op_mem "$tmp/driver" "$1" "$2")"
    done
} | tee "$out/icount.txt"

# Where AF_INET/SOCK_STREAM's instructions go: one run of BIG rounds, of a
# driver built with SOCKMODEL_FLATTEN=0 (the default build compiles each
# system call and table entry flat, so its steps merge into a few functions;
# this build keeps them apart, at the cost of their calls: see its total).
"$CXX" "${flags[@]}" -DSOCKMODEL_FLATTEN=0 -I"$root/include" "$here/icount/driver.cpp" -o "$tmp/driver-steps"
BIG=100000
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/big.out" \
    "$tmp/driver-steps" model 3 "$BIG" >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$tmp/big.out" 2>/dev/null | head -60 > "$out/icount_inclusive.txt"
# self cost per function per socket()+close() (bench/icount/steps.py)
callgrind_annotate --inclusive=no "$tmp/big.out" 2>/dev/null | python3 "$here/icount/steps.py" "$BIG" 14 > "$out/icount_steps.dat"
echo "# self instructions per socket()+close(), AF_INET/SOCK_STREAM, by function:"
cat "$out/icount_steps.dat"
