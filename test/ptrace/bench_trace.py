#!/usr/bin/python3
"""The cost of tracing, in one run (issue 20's "done when" figures).

A Python loop of N socket().close() calls, untraced, under
`strace -f -e trace=socket,socketpair -o /dev/null` and under
`sockmodel-trace --quiet -o /dev/null`; then the same loop under the tool
with 500 more fds open. Prints the times, the tool's cost per call
(traced minus untraced, with 3 and with 503 open fds) and the two ratios:
tool/strace (target <= 2) and per-call 503 fds / 3 fds (target <= 1.2).
Not a test: the figures depend on the machine and its load. Each
configuration runs REPEAT times, interleaved; the fastest run is kept.

    test/ptrace/bench_trace.py TOOL [N [REPEAT]]
"""
import shutil
import subprocess
import sys
import time

LOOP = r"""
import os, socket, sys
keep = [os.open("/dev/null", os.O_RDONLY) for _ in range(int(sys.argv[2]))]
for _ in range(int(sys.argv[1])):
    socket.socket().close()
"""


def main():
    tool = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    if not shutil.which("strace"):
        sys.exit("bench_trace: strace is not installed (apt-get install strace)")
    py = sys.executable
    configs = {
        "untraced": [py, "-c", LOOP, str(n), "0"],
        "untraced, 500 more fds": [py, "-c", LOOP, str(n), "500"],
        "strace -f -e trace=socket,socketpair -o /dev/null":
            ["strace", "-f", "-e", "trace=socket,socketpair", "-o", "/dev/null", py, "-c", LOOP, str(n), "0"],
        "sockmodel-trace --quiet -o /dev/null": [tool, "--quiet", "-o", "/dev/null", "--", py, "-c", LOOP, str(n), "0"],
        "sockmodel-trace, 500 more fds": [tool, "--quiet", "-o", "/dev/null", "--", py, "-c", LOOP, str(n), "500"],
    }
    best = {}
    for _ in range(repeat):
        for name, cmd in configs.items():
            t0 = time.monotonic()
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            t = time.monotonic() - t0
            if r.returncode != 0:
                sys.exit(f"bench_trace: {name} failed ({r.returncode}): {r.stderr.decode()}")
            if name.startswith("sockmodel") and b" 0 disagree" not in r.stderr:
                sys.exit(f"bench_trace: {name}: {r.stderr.decode()}")
            best[name] = min(best.get(name, t), t)
    for name, t in best.items():
        print(f"{name:55s} {t:8.3f} s")
    tool_t = best["sockmodel-trace --quiet -o /dev/null"]
    strace_t = best["strace -f -e trace=socket,socketpair -o /dev/null"]
    per3 = (tool_t - best["untraced"]) / n * 1e6
    per500 = (best["sockmodel-trace, 500 more fds"] - best["untraced, 500 more fds"]) / n * 1e6
    print(f"tool cost per call (traced - untraced): {per3:.1f} us with 3 fds, {per500:.1f} us with 503 fds")
    print(f"ratio sockmodel-trace / strace: {tool_t / strace_t:.2f} (target <= 2)")
    print(f"ratio per call, 503 fds / 3 fds: {per500 / per3:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
