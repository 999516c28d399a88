#!/bin/sh
# sockmodel-trace -- PROGRAM on real programs from Debian packages: every
# socket() the program makes must agree with the model ("0 disagree" in the
# summary, no DISAGREE line), the tool must exit with the program's status,
# and the calls listed for the case must be in the report with the outcome
# the running kernel gave (each was first seen on this kernel with strace -f
# -e socket and is the kernel's answer, not the model's: see the comments).
#
#   run_ptrace.sh TOOL CASE [SCRIPT_DIR]
#
# The unprivileged cases run the tracer itself as uid/gid 65534 without
# groups or capabilities through setpriv(1) (util-linux), so the program
# inherits those credentials as any child would; without root the tool is
# run as the current user. Prints "ptrace: SKIPPED ..." (CTest's skip
# expression) when this system does not allow ptrace.
set -u
tool=$1
case=$2
dir=${3:-$(dirname "$0")}
py=/usr/bin/python3  # Debian's python3, not whatever PATH finds first
out=$(mktemp)
err=$(mktemp)
noexec=$(mktemp)  # a file without execute permission
chmod 644 "$noexec"
chmod 666 "$out"  # the unprivileged tracer writes its report there (-o)
trap 'rm -f "$out" "$err" "$noexec"' EXIT

fail() {
    echo "ptrace.$case: FAILED: $*"
    echo "--- report"; cat "$out"; echo "--- stderr"; cat "$err"
    exit 1
}

# ptrace allowed at all?
if ! "$tool" --quiet -- /bin/true >/dev/null 2>"$err"; then
    if grep -q "ptrace is not permitted" "$err"; then
        echo "ptrace: SKIPPED: $(cat "$err")"
        exit 0
    fi
    fail "sockmodel-trace -- /bin/true failed"
fi

as_nobody() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$@"
    else
        "$@"
    fi
}

want_status=0
# trace [--nobody] ARGS...: the tool with -o, its exit status in $status.
trace() {
    if [ "$1" = --nobody ]; then
        shift
        as_nobody "$tool" -o "$out" "$@" >/dev/null 2>"$err"
    else
        "$tool" -o "$out" "$@" >/dev/null 2>"$err"
    fi
    status=$?
}

# expect LINE: a report line that must be there, verbatim after "[pid N] ",
# except that FD stands for any fd number (the descriptors the test runner
# leaves open move them; the model mirrors whatever the program has open).
expect() {
    re=$(printf '%s' "$1" | sed -e 's/[].[*^$\\]/\\&/g' -e 's/FD/[0-9][0-9]*/g')
    grep -- "] $re" "$out" >/dev/null || fail "no line '$1'"
}

# fd_of LINE: the fd number of the first report line starting with LINE.
fd_of() {
    grep -F -- "] $1 = " "$out" | head -n 1 | sed 's/.* = \([0-9]*\) .*/\1/'
}

check_summary() {  # check_summary MIN_AGREE
    [ "$status" = "$want_status" ] || fail "exit status $status, want $want_status"
    grep -q DISAGREE "$out" && fail "a call disagreed"
    summary=$(grep "^sockmodel-trace: .* calls" "$err") || fail "no summary on stderr"
    echo "$summary" | grep -q ": [0-9]* agree, 0 disagree" || fail "summary: $summary"
    agree=$(echo "$summary" | sed 's/.*: \([0-9]*\) agree.*/\1/')
    [ "$agree" -ge "$1" ] || fail "only $agree calls agree, want at least $1: $summary"
    echo "ptrace.$case: $summary"
}

case $case in
python_root)
    # As root (every capability in the initial namespaces).
    [ "$(id -u)" = 0 ] || { echo "ptrace: SKIPPED: python_root needs root"; exit 0; }
    trace --quiet -- "$py" "$dir/sockets.py"
    check_summary 19
    expect "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_UDP) = -1 EPROTONOSUPPORT agree"
    expect "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP) = FD agree"
    expect "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_ICMP) = -1 EACCES agree"   # ping_group_range "1 0"
    expect "socket(AF_UNIX, SOCK_RAW|SOCK_CLOEXEC, 0) = FD agree"    # SOCK_RAW is SOCK_DGRAM for AF_UNIX
    expect "socket(AF_INET, SOCK_CLOEXEC|0x7f, IPPROTO_IP) = -1 EINVAL agree"
    expect "socket(0x3e7 /* AF_??? */, SOCK_STREAM|SOCK_CLOEXEC, 0) = -1 EAFNOSUPPORT agree"
    # The TCP socket's fd, closed again, is the lowest free one for the next.
    tcp=$(fd_of "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP)")
    expect "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = $tcp agree"
    expect "socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [FD, FD]) = 0 agree"
    ;;
python_nobody)
    # uid/gid 65534, no groups, no capabilities: raw sockets are refused.
    trace --nobody --quiet -- "$py" "$dir/sockets.py"
    check_summary 19
    expect "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_UDP) = -1 EPROTONOSUPPORT agree"
    expect "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP) = -1 EPERM agree"
    expect "socket(AF_INET6, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMPV6) = -1 EPERM agree"
    expect "socket(AF_PACKET, SOCK_RAW|SOCK_CLOEXEC, htons(ETH_P_ALL)) = -1 EPERM agree"
    expect "socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = FD agree"
    ;;
python_userns)
    # unshare -Urn: a child user namespace owning a new network namespace,
    # where CAP_NET_RAW holds (the tracer reads that netns's sysctls by setns).
    [ "$(id -u)" = 0 ] || { echo "ptrace: SKIPPED: python_userns needs root (setns into the task's netns)"; exit 0; }
    trace -- unshare -Urn "$py" "$dir/sockets.py"
    check_summary 19
    expect "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP) = FD agree"
    expect "socket(AF_PACKET, SOCK_RAW|SOCK_CLOEXEC, htons(ETH_P_ALL)) = FD agree"
    # The tree is printed without --quiet: the model's path to the verdict.
    grep -q "inet_create" "$out" || fail "no call tree in the report"
    ;;
ip_addr)
    trace -- ip addr
    check_summary 1
    expect "socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = FD agree"
    grep -q "netlink_create" "$out" || fail "no call tree in the report"
    ;;
ip_addr_nobody)
    trace --nobody --format json -- ip addr
    check_summary 1
    "$py" -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows and all(r["verdict"] == "agree" for r in rows), rows
assert rows[0]["kernel"]["fds"][0]["SO_PROTOCOL"] == 0 and rows[0]["kernel"]["fds"][0]["SO_DOMAIN"] == 16
' "$out" || fail "JSON report"
    ;;
curl_refused)
    # Port 1 refuses the connection: curl exits 7 (CURLE_COULDNT_CONNECT),
    # and so does the tool.
    want_status=7
    trace --quiet -- curl -s http://127.0.0.1:1/
    check_summary 1
    expect "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = FD agree"
    ;;
curl_nobody)
    want_status=7
    trace --nobody --quiet -- curl -s http://127.0.0.1:1/
    check_summary 1
    expect "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = FD agree"
    ;;
multiprocess)
    # A pipeline and a fork: calls from several processes (and the forked
    # child's own fd table), then the shell's exit status 3.
    want_status=3
    trace --quiet -- sh -c "$py -c 'import socket; socket.socket()' | $py -c 'import os, socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
if os.fork() == 0:
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); os._exit(0)
os.wait()'; exit 3"
    check_summary 3
    pids=$(sed -n 's/^\[pid \([0-9]*\)\].*/\1/p' "$out" | sort -u | wc -l)
    [ "$pids" -ge 3 ] || fail "calls from $pids processes, want 3"
    ;;
bad_input)
    "$tool" -- >/dev/null 2>"$err"; status=$?
    [ $status = 2 ] && grep -q "^sockmodel-trace: no program after '--'" "$err" || fail "no program: exit $status"
    "$tool" -- sockmodel-no-such-program >/dev/null 2>"$err"; status=$?
    [ $status = 127 ] && grep -qx "sockmodel-trace: sockmodel-no-such-program: command not found" "$err" ||
        fail "not found: exit $status"
    "$tool" -- "$noexec" >/dev/null 2>"$err"; status=$?
    [ $status = 126 ] && grep -qx "sockmodel-trace: $noexec: Permission denied" "$err" ||
        fail "not executable: exit $status"
    # Found in PATH but not executable: 126 too, as a shell says it.
    PATH=$(dirname "$noexec") "$tool" -- "$(basename "$noexec")" >/dev/null 2>"$err"; status=$?
    [ $status = 126 ] && grep -qx "sockmodel-trace: $(basename "$noexec"): Permission denied" "$err" ||
        fail "not executable in PATH: exit $status"
    "$tool" -- "$noexec" >/dev/null 2>"$err"; status=$?
    [ $status = 126 ] && grep -qx "sockmodel-trace: $noexec: Permission denied" "$err" ||
        fail "not executable: exit $status"
    "$tool" -- sh -c 'kill -TERM $$' >/dev/null 2>"$err"; status=$?
    [ $status = 143 ] || fail "killed by SIGTERM: exit $status, want 143"
    # ptrace refused: the tool under the tool is already traced, so its own
    # PTRACE_TRACEME gets EPERM (as under Yama's ptrace_scope 3 or seccomp).
    # (LeakSanitizer cannot run under ptrace: the inner tool of an ASan build
    # runs without it.)
    "$tool" -o /dev/null -- env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        "$tool" -- /bin/true >/dev/null 2>"$err"; status=$?
    [ $status = 2 ] && grep -q "^sockmodel-trace: ptrace is not permitted here (PTRACE_TRACEME: EPERM): allow it with .sysctl kernel.yama.ptrace_scope" "$err" ||
        fail "ptrace refused: exit $status"
    "$tool" --strict AF_INET SOCK_STREAM 0 >/dev/null 2>"$err"; status=$?
    [ $status = 2 ] || fail "--strict without a program: exit $status"
    echo "ptrace.$case: ok"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
