#!/usr/bin/env bash
# Compile time of a translation unit that uses sockmodel, beside an empty TU
# and one that includes <vector>: median wall time of 5 compiles (-c) each,
# with g++ -O2 and clang++ -O2. Prints "compile COMPILER CASE SECONDS" lines.
#   full       #include <sockmodel/sockmodel.hpp>, one kernel<>, one socket()
#   unix_only  <sockmodel/kernel.hpp> + <sockmodel/net/unix/af_unix.hpp>,
#              kernel<config<opt::families<unix_family>>>, one socket()
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
REPS=${COMPILE_REPS:-5}

printf '' > "$tmp/empty.cpp"
printf '#include <vector>\nstd::vector<int> v{1, 2, 3};\n' > "$tmp/vector.cpp"
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

for cxx in g++ clang++; do
    command -v "$cxx" >/dev/null || continue
    for c in empty vector full unix_only; do
        times=()
        for _ in $(seq "$REPS"); do
            s=$(date +%s%N)
            "$cxx" -std=c++20 -O2 -I"$root/include" -c "$tmp/$c.cpp" -o "$tmp/$c.o"
            e=$(date +%s%N)
            times+=("$(( (e - s) / 1000000 ))")
        done
        med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        echo "compile $cxx $c $(awk -v m="$med" 'BEGIN { printf "%.3f", m / 1000 }')"
    done
done
