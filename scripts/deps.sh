#!/usr/bin/env bash
# Install the Debian packages sockmodel's build, tests, benchmarks and tools
# need. Silent (and offline) when everything is already installed.
set -euo pipefail

packages=(cmake g++ clang libclang-rt-14-dev libc++-14-dev libc++abi-14-dev ninja-build libboost-dev doctest-dev libbenchmark-dev graphviz python3 make pkg-config
          iproute2 curl util-linux perl)  # the last four: the ptrace tests (test/ptrace; perl for Net::Ping)

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps.sh: not a Debian-based system; make sure these are installed: ${packages[*]}" >&2
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    # "install ok installed", not just "known to dpkg" (removed packages
    # leave config-files entries that dpkg -s still reports).
    if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
        missing+=("$p")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "deps.sh: missing packages (${missing[*]}) and not root without sudo" >&2
        exit 1
    fi
fi

echo "deps.sh: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
