#!/usr/bin/env bash
# Build (preset "release") and run the demo tool with the given arguments:
# sockmodel-trace if tools/sockmodel-trace/main.cpp exists, else sockmodel-demo.
# Build chatter goes to stderr so the tool's stdout can be piped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/deps.sh >&2

if [[ -f tools/sockmodel-trace/main.cpp ]]; then
    tool=sockmodel-trace
elif [[ -f tools/sockmodel-demo.cpp ]]; then
    tool=sockmodel-demo
else
    echo "demo.sh: neither tools/sockmodel-trace/main.cpp nor tools/sockmodel-demo.cpp exists" >&2
    exit 1
fi

cmake --preset release >&2
cmake --build --preset release --target "$tool" >&2
exec "build/release/tools/$tool" "$@"
