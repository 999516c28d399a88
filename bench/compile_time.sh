#!/usr/bin/env bash
# What including sockmodel costs a translation unit, as ratios to a TU that
# includes <vector> compiled in the same run (a machine's speed changes from
# day to day; the ratio holds). For g++ and clang++, at -O0 and -O2: the
# median CPU time (user + system, so that another process on the machine
# does not count) of REPS compiles (-c) of each case, its ratio to `vector`,
# and the preprocessed line count (-E).
#   empty      nothing
#   vector     #include <vector> and one std::vector<int>
#   include    #include <sockmodel/sockmodel.hpp> alone
#   full       the same, one kernel<>, one task, one socket(AF_INET, SOCK_STREAM, 0)
#   full_compiled  full in the compiled mode (linking sockmodel::default_kernel:
#              SOCKMODEL_EXTERN_DEFAULT_KERNEL=1), where kernel<>'s members
#              are compiled once in the library, not in this TU
#   unix_only  <sockmodel/kernel.hpp> + <sockmodel/net/unix/af_unix.hpp>,
#              kernel<config<opt::families<unix_family>>>, one socket()
# Prints one line per case:
#   compile CXX OPT CASE SECONDS RATIO_TO_VECTOR PREPROCESSED_LINES
# and a "bound" line per compiler and level for the bounds the library holds
# itself to (include at most 3x vector; include + kernel<> + socket() at most
# 8x, in the compiled mode and, reported beside it, header-only).
#   bash bench/compile_time.sh            (COMPILE_REPS=5 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
REPS=${COMPILE_REPS:-5}

printf '' > "$tmp/empty.cpp"
printf '#include <vector>\nstd::vector<int> v{1, 2, 3};\n' > "$tmp/vector.cpp"
printf '#include <sockmodel/sockmodel.hpp>\n' > "$tmp/include.cpp"
cat > "$tmp/full.cpp" <<'CPP'
#include <sockmodel/sockmodel.hpp>
#include <sys/socket.h>
int f()
{
    sockmodel::kernel<> k;
    auto& t = k.spawn();
    return k.socket(t, AF_INET, SOCK_STREAM, 0);
}
CPP
cat > "$tmp/unix_only.cpp" <<'CPP'
#include <sockmodel/kernel.hpp>
#include <sockmodel/net/unix/af_unix.hpp>
#include <sys/socket.h>
int f()
{
    sockmodel::kernel<sockmodel::config<sockmodel::opt::families<sockmodel::unix_family>>> k;
    auto& t = k.spawn();
    return k.socket(t, AF_UNIX, SOCK_STREAM, 0);
}
CPP

cp "$tmp/full.cpp" "$tmp/full_compiled.cpp"
cases=(empty vector include full full_compiled unix_only)
flags_of() { [ "$1" = full_compiled ] && echo -DSOCKMODEL_EXTERN_DEFAULT_KERNEL=1; true; }
for cxx in g++ clang++; do
    command -v "$cxx" >/dev/null || continue
    for opt in -O0 -O2; do
        declare -A med=()
        # Interleaved: one compile of each case per round, so a slow stretch
        # of the machine falls on every case alike.
        declare -A times=()
        for _ in $(seq "$REPS"); do
            for c in "${cases[@]}"; do
                cpu=$( { TIMEFORMAT='%U %S'; time "$cxx" -std=c++20 "$opt" $(flags_of "$c") -I"$root/include" \
                         -c "$tmp/$c.cpp" -o "$tmp/$c.o"; } 2>&1 )
                times[$c]+="$(awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { printf "%d", (u + s) * 1000 }') "
            done
        done
        for c in "${cases[@]}"; do
            med[$c]=$(printf '%s\n' ${times[$c]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        done
        for c in "${cases[@]}"; do
            lines=$("$cxx" -std=c++20 $(flags_of "$c") -I"$root/include" -E "$tmp/$c.cpp" | wc -l)
            awk -v cxx="$cxx" -v opt="$opt" -v c="$c" -v m="${med[$c]}" -v v="${med[vector]}" -v l="$lines" \
                'BEGIN { printf "compile %s %s %s %.3f %.2f %d\n", cxx, opt, c, m / 1000, m / v, l }'
        done
        awk -v cxx="$cxx" -v opt="$opt" -v i="${med[include]}" -v f="${med[full_compiled]}" -v h="${med[full]}" \
            -v v="${med[vector]}" \
            'BEGIN { printf "bound %s %s include %.1fx (at most 3x: %s), full compiled %.1fx (at most 8x: %s), full header-only %.1fx\n",
                     cxx, opt, i / v, i <= 3 * v ? "met" : "NOT MET", f / v, f <= 8 * v ? "met" : "NOT MET", h / v }'
        unset med times
    done
done
