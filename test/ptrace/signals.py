# Signals and sockmodel-trace -- PROGRAM, as strace passes them: a signal to
# the tool's process group (what Ctrl-C does) or to the tool alone reaches
# the program once, its handler runs, the summary is printed and the tool
# exits with the program's status; a program killed by the signal kills the
# tool with it. Run by test/ptrace/run_ptrace.sh (case "signals"):
#
#   python3 signals.py TOOL
#
# Prints one line per case; exits 1 on the first failure.
import os
import signal
import subprocess
import sys
import tempfile
import time

TOOL = sys.argv[1]

# The program: counts the deliveries of SIGNAL (handler installed unless
# "default"), says it is ready (a socket made and a file written), then
# waits; 0.5 s after the first delivery it exits with 40 + the count.
PROGRAM = r"""
import os, signal, socket, sys, time
sig, mode, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
count = 0
first = None
def handler(s, frame):
    global count, first
    count += 1
    first = first or time.monotonic()
if mode == "handler":
    signal.signal(sig, handler)
socket.socket().close()
open(ready, "w").close()
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    if first and time.monotonic() - first > 0.5:
        socket.socket().close()  # the tracer still compares after the signal
        sys.exit(40 + count)
    time.sleep(0.01)
sys.exit(99)
"""


def run(sig, target, mode):
    with tempfile.TemporaryDirectory() as d:
        ready = os.path.join(d, "ready")
        p = subprocess.Popen([TOOL, "--quiet", "-o", os.devnull, "--", sys.executable, "-c", PROGRAM,
                              str(int(sig)), mode, ready],
                             start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t0 = time.monotonic()
        while not os.path.exists(ready):
            if time.monotonic() - t0 > 20 or p.poll() is not None:
                p.kill()
                return None, "program never got ready"
            time.sleep(0.01)
        if target == "group":
            os.killpg(p.pid, sig)  # as a terminal's Ctrl-C: the tool and the program
        else:
            os.kill(p.pid, sig)    # the tool alone
        try:
            _, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            return None, "the tool did not end"
        return p.returncode, err.decode()


failures = 0
cases = [
    # signal, sent to, program's handling, the tool's expected returncode, calls in the summary
    (signal.SIGINT, "group", "handler", 41, 2),
    (signal.SIGINT, "tool", "handler", 41, 2),
    (signal.SIGTERM, "tool", "handler", 41, 2),
    (signal.SIGHUP, "group", "handler", 41, 2),
    (signal.SIGQUIT, "tool", "handler", 41, 2),
    (signal.SIGINT, "group", "default", -signal.SIGINT, 1),
    (signal.SIGTERM, "tool", "default", -signal.SIGTERM, 1),
]
for sig, target, mode, want, calls in cases:
    rc, err = run(sig, target, mode)
    name = f"{sig.name} to the {target}, program {mode}"
    ok = rc == want and f"sockmodel-trace: {calls} calls" in (err or "") and " 0 disagree" in (err or "")
    print(f"signals: {name}: exit {rc} (want {want}; 41 = handler ran once) {'ok' if ok else 'FAILED'}")
    if not ok:
        print("  stderr:", err)
        failures += 1
sys.exit(1 if failures else 0)
