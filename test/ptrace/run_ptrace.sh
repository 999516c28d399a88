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

# bad_spec SPEC PATTERN: --what-if SPEC is refused (exit 2) with an error
# that matches PATTERN (grep) after "what-if 'SPEC': ".
bad_spec() {
    "$tool" --what-if "$1" -- /bin/true >/dev/null 2>"$err"
    [ $? = 2 ] || fail "--what-if $1: not exit 2"
    grep -q "what-if '$1': $2" "$err" || fail "--what-if $1: $(cat "$err")"
}

check_summary() {  # check_summary MIN_AGREE
    [ "$status" = "$want_status" ] || fail "exit status $status, want $want_status"
    grep -q DISAGREE "$out" && fail "a call disagreed"
    summary=$(grep "^sockmodel-trace: [0-9]* calls" "$err") || fail "no summary on stderr"
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
    # --format json: one JSON document ({"calls": [...], "summary": {...}}).
    trace --nobody --format json -- ip addr
    check_summary 1
    "$py" -m json.tool "$out" >/dev/null || fail "--format json is not one JSON document"
    "$py" -c 'import json, sys
doc = json.load(open(sys.argv[1]))
rows = doc["calls"]
assert rows and all(r["verdict"] == "agree" for r in rows), rows
assert rows[0]["kernel"]["fds"][0]["SO_PROTOCOL"] == 0 and rows[0]["kernel"]["fds"][0]["SO_DOMAIN"] == 16
assert doc["summary"]["calls"] == len(rows) and doc["summary"]["disagree"] == 0, doc["summary"]
' "$out" || fail "JSON report"
    # --format jsonl: one object a line, the summary last.
    trace --nobody --format jsonl -- ip addr
    check_summary 1
    "$py" -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) >= 2 and all(r["verdict"] == "agree" for r in rows[:-1]), rows
assert rows[-1]["summary"]["calls"] == len(rows) - 1, rows[-1]
' "$out" || fail "JSONL report"
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
    # --format json is one document even when the program could not run.
    "$tool" --format json -o "$out" -- sockmodel-no-such-program >/dev/null 2>"$err"; status=$?
    [ $status = 127 ] && "$py" -m json.tool "$out" >/dev/null || fail "--format json, no program: exit $status"
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
    [ $status = 2 ] && grep -q "^sockmodel-trace: ptrace is not permitted here (PTRACE_TRACEME: EPERM): " "$err" ||
        fail "ptrace refused: exit $status"
    # Yama's sysctl is advised only where there is Yama.
    if [ -e /proc/sys/kernel/yama/ptrace_scope ]; then
        grep -q "kernel.yama.ptrace_scope" "$err" || fail "Yama present, not named: $(cat "$err")"
    else
        grep -qi "yama" "$err" && fail "no Yama on this kernel, but the message names it: $(cat "$err")"
    fi
    # -o needs a file name: '--' is not one.
    "$tool" -o -- /bin/true >/dev/null 2>"$err"; status=$?
    [ $status = 2 ] && grep -q "^sockmodel-trace: option '-o' needs a value before '--'" "$err" ||
        fail "-o --: exit $status: $(cat "$err")"
    # A program given without '--': a hint.
    "$tool" ping -c1 127.0.0.1 >/dev/null 2>"$err"; status=$?
    [ $status = 2 ] && grep -q "to trace a program, put it after '--': sockmodel-trace \[options\] -- ping -c1" "$err" ||
        fail "program without --: exit $status: $(cat "$err")"
    # The host comparison line in one errno style; a failed socketpair has no fds.
    if [ "$(id -u)" = 0 ]; then
        "$tool" --as user --rlimit-nofile 3 --compare-host AF_INET SOCK_STREAM 0 >"$out" 2>"$err"
        grep -qx "host: -1 EMFILE; model: -1 EMFILE; agree" "$out" || fail "EMFILE host line: $(tail -1 "$out")"
        "$tool" --socketpair --compare-host AF_INET SOCK_STREAM 0 >"$out" 2>"$err"
        grep -qx "host: -1 EOPNOTSUPP; model: -1 EOPNOTSUPP; agree" "$out" || fail "socketpair host line: $(tail -1 "$out")"
        grep -q "^socketpair(AF_INET, SOCK_STREAM, IPPROTO_IP, sv) = -1 EOPNOTSUPP$" "$out" ||
            fail "failed socketpair shows fds: $(grep '^socketpair' "$out")"
    fi
    "$tool" --strict AF_INET SOCK_STREAM 0 >/dev/null 2>"$err"; status=$?
    [ $status = 2 ] || fail "--strict without a program: exit $status"
    echo "ptrace.$case: ok"
    ;;
userns_inside)
    # The tool itself inside a rootless container, as root and as nobody:
    # unshare -Ur (root inside, init_net owned by init_user_ns: raw sockets
    # are EPERM there), unshare -U (no mapping: ids read as the overflow gid)
    # and unshare -Urn (a netns of the container's own).
    for who in root nobody; do
        [ $who = root ] && [ "$(id -u)" != 0 ] && continue
        for u in "-Ur" "-U" "-Urn"; do
            if [ $who = nobody ]; then
                as_nobody unshare $u "$tool" -o "$out" --quiet -- "$py" "$dir/sockets.py" >/dev/null 2>"$err"
            else
                unshare $u "$tool" -o "$out" --quiet -- "$py" "$dir/sockets.py" >/dev/null 2>"$err"
            fi
            status=$?
            want_status=0
            check_summary 17
            case $u in
            -Ur|-U)
                # CAP_NET_RAW in a user namespace does not reach init_net.
                expect "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP) = -1 EPERM agree"
                expect "socket(AF_INET6, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMPV6) = -1 EPERM agree"
                expect "socket(AF_PACKET, SOCK_RAW|SOCK_CLOEXEC, htons(ETH_P_ALL)) = -1 EPERM agree"
                ;;
            -Urn)
                # Root of the container (either way) holds CAP_NET_RAW over its own netns.
                expect "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP) = FD agree"
                expect "socket(AF_PACKET, SOCK_RAW|SOCK_CLOEXEC, htons(ETH_P_ALL)) = FD agree"
                ;;
            esac
            # ICMP datagram: agrees, or (ids unmapped) says why it cannot be known.
            grep -q "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_ICMP) = -1 EACCES \(agree\|not modelled: the answer depends on ping_group_range\)" "$out" ||
                fail "unshare $u as $who: ICMP datagram socket"
        done
    done
    ;;
userns_outside)
    # The program makes the namespaces itself (unshare -Ur, -U, -Urn under
    # the tool), as root and as nobody (the unprivileged tool reads the
    # sysctls of the program's netns through a helper that enters its user
    # namespace: it is that namespace's owner).
    for who in root nobody; do
        [ $who = root ] && [ "$(id -u)" != 0 ] && continue
        for u in "-Ur" "-U" "-Urn"; do
            if [ $who = nobody ]; then
                trace --nobody --quiet -- unshare $u "$py" "$dir/sockets.py"
            else
                trace --quiet -- unshare $u "$py" "$dir/sockets.py"
            fi
            check_summary 19
            grep -q "not modelled" "$out" && fail "unshare $u as $who: a call not modelled"
            case $u in
            -Ur|-U) expect "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP) = -1 EPERM agree" ;;
            -Urn) expect "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP) = FD agree" ;;
            esac
        done
    done
    ;;
signals)
    "$py" "$dir/signals.py" "$tool" || fail "signals"
    echo "ptrace.$case: ok"
    ;;
threads)
    # Four threads making and closing sockets in one table: calls whose fd
    # number another thread changed are races (with the evidence), never
    # disagreements, and --strict passes.
    "$tool" --strict --quiet -o "$out" -- "$py" "$dir/threads.py" 1500 >/dev/null 2>"$err"; status=$?
    check_summary 1000
    summary=$(grep "^sockmodel-trace: [0-9]* calls" "$err")
    echo "$summary" | grep -q "^sockmodel-trace: 6004 calls (socket 6000, socketpair 4)" || fail "summary: $summary"
    # Each race names what changed the table, by which thread.
    if grep " race: " "$out" | grep -v "(the table changed during the call: .*\[pid [0-9]*\]\|opened by another thread\|held by another thread meanwhile" | head -1 | grep -q .; then
        fail "a race without evidence: $(grep ' race: ' "$out" | grep -v '\[pid' | head -1)"
    fi
    ;;
many_fds)
    # 500 more fds open (made by open(), which the tool does not stop at):
    # the view finds them; the next sockets get the numbers after them.
    trace --quiet -- "$py" -c 'import os, socket
keep = [os.open("/dev/null", os.O_RDONLY) for _ in range(500)]
for _ in range(50): socket.socket().close()
os.close(keep[100]); s = socket.socket(); assert s.fileno() == keep[100], s.fileno()
fds = [socket.socket() for _ in range(3)]
os.closerange(keep[10], keep[20] + 1); t = socket.socket(); assert t.fileno() == keep[10], t.fileno()'
    check_summary 55
    ;;
exec_cloexec)
    # exec drops close-on-exec fds; a shell's fork and dup2 juggling before it.
    trace --quiet -- "$py" -c 'import os, socket, sys
a = socket.socket(); b = socket.socket(); b.set_inheritable(True)
os.execv(sys.executable, [sys.executable, "-c", "import socket; s = socket.socket(); print(s.fileno())"])'
    check_summary 3
    ;;
file_caps)
    # A copy of python3 with cap_net_raw in its file capabilities, run by
    # nobody: the capability is not granted under ptrace, and the tool warns
    # once per exec; the raw socket is EPERM, and the model agrees.
    [ "$(id -u)" = 0 ] || { echo "ptrace: SKIPPED: file_caps needs root (setxattr security.capability)"; exit 0; }
    capdir=$(mktemp -d)
    trap 'rm -rf "$capdir" "$out" "$err" "$noexec"' EXIT
    chmod 755 "$capdir"
    cp "$py" "$capdir/python3"
    # struct vfs_cap_data v2: VFS_CAP_REVISION_2 | effective, permitted = CAP_NET_RAW (13).
    "$py" -c 'import os, struct, sys
os.setxattr(sys.argv[1], "security.capability", struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0))' "$capdir/python3" ||
        { echo "ptrace: SKIPPED: cannot set security.capability on $capdir"; exit 0; }
    # (nobody keeps the bounding set here: without cap_net_raw in it, exec
    # of a binary with the effective bit set fails with EPERM, traced or not.)
    nobody_bset() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
    nobody_bset "$tool" -o "$out" --quiet -- "$capdir/python3" -c 'import socket
try: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
except PermissionError: pass' >/dev/null 2>"$err"
    status=$?
    check_summary 1
    expect "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP) = -1 EPERM agree"
    [ "$(grep -c "warning: .*has file capabilities (cap_net_raw)" "$err")" = 1 ] || fail "no single file-capability warning"
    # Untraced, the capability is there: the warning is about a real difference.
    nobody_bset "$capdir/python3" -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)' ||
        fail "untraced, the file capability did not work (so the test shows nothing)"
    # Without file capabilities: no warning.
    trace --nobody --quiet -- "$py" -c 'pass'
    grep -q "file capabilities" "$err" && fail "a warning without file capabilities"
    echo "ptrace.$case: ok"
    ;;
whatif_nobody|whatif_userns|whatif_nofile|whatif_ping_netns)
    # --what-if against the kernel: test/ptrace/whatif_check.py runs each
    # program once as root with --what-if SPEC, then for real in SPEC's
    # environment (traced), and requires every answer up to each process's
    # first predicted difference to be the kernel's (0 wrong), with at least
    # the given number of certain first differences confirmed.
    [ "$(id -u)" = 0 ] || { echo "ptrace: SKIPPED: $case needs root (the real runs drop to nobody, unshare)"; exit 0; }
    check() { "$py" "$dir/whatif_check.py" predict "$tool" "$@" >>"$out" 2>>"$err" || fail "whatif_check $*"; }
    case $case in
    whatif_nobody)
        check as=nobody nobody 1 -- "$py" "$dir/whatif_prog.py"     # raw ICMP: EPERM, then the child's
        check as=nobody nobody 1 -- "$py" "$dir/sockets.py"
        check as=nobody nobody 0 -- ip addr
        check as=nobody nobody 0 -- curl -s http://127.0.0.1:1/
        ;;
    whatif_userns)
        check userns userns 1 -- "$py" "$dir/whatif_prog.py"
        check userns userns 1 -- "$py" "$dir/sockets.py"
        check userns+netns userns+netns 0 -- "$py" "$dir/sockets.py"   # CAP_NET_RAW holds in its own netns
        check userns userns 0 -- ip addr
        # perl's Net::Ping: a raw ICMP socket, EPERM under unshare -Ur (as
        # nobody it refuses by itself before any socket call).
        check userns userns 1 -- perl -MNet::Ping -e 'Net::Ping->new("icmp")->ping("127.0.0.1", 1)'
        ;;
    whatif_nofile)
        check nofile=7 nofile=7 1 -- "$py" "$dir/whatif_prog.py"
        check nofile=7 nofile=7 1 -- "$py" "$dir/sockets.py"
        check nofile=4 nofile=4 1 -- ip -6 route    # its second netlink socket: EMFILE
        check nofile=4 nofile=4 1 -- curl -s http://127.0.0.1:1/
        ;;
    whatif_ping_netns)
        # A netns whose ping_group_range holds gid 0: the ping socket root
        # was refused succeeds.
        check netns+ping_group_range=0-0 netns-ping=0-0 1 -- "$py" "$dir/whatif_prog.py"
        ;;
    esac
    grep -q " 0 wrong" "$out" || fail "no check ran"
    grep " wrong" "$out" | grep -v " 0 wrong" && fail "a wrong prediction"
    cat "$out"
    echo "ptrace.$case: ok"
    ;;
whatif_needs)
    # --needs against real runs: each capability whose removal (from the
    # bounding set, as root) changes a kernel answer is listed, and no other;
    # LimitNOFILE= changes nothing, one less changes an answer.
    [ "$(id -u)" = 0 ] || { echo "ptrace: SKIPPED: whatif_needs needs root"; exit 0; }
    for prog in "$dir/whatif_prog.py" "$dir/sockets.py"; do
        "$py" "$dir/whatif_check.py" needs "$tool" -- "$py" "$prog" >>"$out" 2>>"$err" || fail "whatif_check needs $prog"
    done
    grep -q "listed: CAP_NET_RAW.*; 0 wrong" "$out" || fail "CAP_NET_RAW not listed"
    trace --quiet --needs -- "$py" "$dir/sockets.py"
    expect_line() { grep -qxF -- "$1" "$out" || fail "no line '$1'"; }
    expect_line "  CapabilityBoundingSet=CAP_NET_RAW"
    expect_line "  RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET"
    grep -q "^  net.mptcp.enabled=1 for socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_MPTCP)$" "$out" ||
        fail "net.mptcp.enabled not listed for the MPTCP socket"
    echo "ptrace.$case: ok"
    ;;
whatif_report)
    # The report: reasons, certainty, the summary, JSON, --strict, --why,
    # families, rules, and bad SPECs named by their term.
    [ "$(id -u)" = 0 ] || { echo "ptrace: SKIPPED: whatif_report needs root"; exit 0; }
    trace --quiet --what-if as=nobody --what-if no-ipv6 -- "$py" "$dir/whatif_prog.py"
    check_summary 10
    grep -qF "  what-if as=nobody: -1 EPERM (inet_create: SOCK_RAW without CAP_NET_RAW) [first difference of this process]" "$out" ||
        fail "no certain first difference with its reason"
    grep -qF "  what-if as=nobody: -1 EPERM (packet_create: no CAP_NET_RAW over net->user_ns) [if the program went on the same way]" "$out" ||
        fail "no later difference"
    grep -qF "  what-if no-ipv6: -1 EAFNOSUPPORT (__sock_create: net_families[AF_INET6] is NULL) [first difference of this process]" "$out" ||
        fail "no-ipv6"
    grep -q "^sockmodel-trace: what-if as=nobody: 3 calls would differ (1 first of a process, 2 if the program went on the same way)$" "$err" ||
        fail "what-if summary"
    # --strict: a what-if difference fails the run; none: the program's status.
    trace --quiet --strict --what-if as=nobody -- "$py" "$dir/whatif_prog.py"
    [ "$status" = 1 ] || fail "--strict with a difference: status $status"
    trace --quiet --strict --what-if nofile=100 -- "$py" "$dir/whatif_prog.py"
    [ "$status" = 0 ] || fail "--strict without a difference: status $status"
    # --why: the model's tree under the difference.
    trace --quiet --why --what-if caps=-net_raw -- "$py" "$dir/whatif_prog.py"
    grep -q "^    .*  inet_create(SOCK_RAW, IPPROTO_ICMP, kern=0) → -1 EPERM" "$out" || fail "--why tree"
    # A rule file run by the run-time LSM chain.
    rules=$(mktemp)
    printf '# no raw ICMP for root\ndeny uid=0 family=AF_INET type=SOCK_RAW protocol=IPPROTO_ICMP errno=EPERM\n' >"$rules"
    trace --quiet --format jsonl --what-if "rules=$rules" --what-if families=unix,inet,netlink -- "$py" "$dir/whatif_prog.py"
    rm -f "$rules"
    "$py" -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
calls = [r for r in rows if "summary" not in r]
raw = [c for c in calls if c["args"][:3] == [2, 524291, 1]][0]
w = raw["what_if"][0]
assert w["differs"] and w["model"]["errno"] == "EPERM" and w["certain"], w
assert w["reason"].startswith("security_socket_create"), w
pkt = [c for c in calls if c["args"][0] == 17][0]["what_if"][1]
assert pkt["differs"] and pkt["model"]["errno"] == "EAFNOSUPPORT", pkt
s = rows[-1]["summary"]["what_if"]
assert s[0]["spec"].startswith("rules=") and s[0]["differ"] >= 1 and s[1]["first"] == 1, s
' "$out" || fail "jsonl what_if"
    # --needs names a supplementary group and the ping_group_range gids:
    # root in a netns whose range holds only gid 27, with group 27, gets a
    # ping socket; the same without the group really gets EACCES.
    icmp='import socket
try: socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
except PermissionError: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)'
    in_netns='echo 27 27 > /proc/sys/net/ipv4/ping_group_range && exec "$@"'
    trace --quiet --needs -- unshare -n sh -c "$in_netns" sh setpriv --groups=27 "$py" -c "$icmp"
    check_summary 1
    grep -qxF "  membership of group 27 for socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_ICMP)" "$out" ||
        fail "--needs: no group 27"
    grep -qxF "  gid 0 inside net.ipv4.ping_group_range, or gid 27 inside net.ipv4.ping_group_range for socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_ICMP)" "$out" ||
        fail "--needs: no ping_group_range gids"
    grep -q "CAP_NET_RAW" "$out" && fail "--needs: CAP_NET_RAW listed, though the raw socket was never made"
    grep -qxF "  CapabilityBoundingSet=" "$out" || fail "--needs: capabilities listed"
    trace --quiet -- unshare -n sh -c "$in_netns" sh setpriv --clear-groups "$py" -c "$icmp"
    check_summary 1
    expect "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_ICMP) = -1 EACCES agree"
    # Bad SPECs: exit 2, the term named.
    for spec in "as=bob" "caps=-net_rw" "nofile=x" "families=unix,foo" "frobnicate" "userns=1" "ping_group_range=5"; do
        bad_spec "$spec" ".*term '"
    done
    echo "ptrace.$case: ok"
    ;;
whatif_abi)
    # --what-if abi=ARCH: the same program built for mips and sparc. The
    # calls are translated symbolically, so no errno name, fd or file flag
    # changes (EPROTONOSUPPORT is 120 on mips and 43 on sparc, 93 here: not
    # a difference); JSON "abi" has ARCH's numbers (arch/*/include/uapi/asm/
    # errno.h, socket.h, fcntl.h; arch/*/include/asm/socket.h).
    trace --quiet --format jsonl --what-if abi=mips --what-if abi=sparc -- "$py" "$dir/sockets.py"
    check_summary 19
    "$py" -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
calls = [r for r in rows if "summary" not in r]
s = rows[-1]["summary"]["what_if"]
assert [(w["spec"], w["differ"]) for w in s] == [("abi=mips", 0), ("abi=sparc", 0)], s
udp = [c for c in calls if c["args"] == [2, 0x80001, 17]][0]   # SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_UDP
assert udp["kernel"]["ret"] == -93 and udp["kernel"]["errno"] == "EPROTONOSUPPORT", udp["kernel"]
mips, sparc = udp["what_if"]
assert not mips["differs"] and mips["model"]["errno"] == "EPROTONOSUPPORT", mips
assert mips["abi"] == {"name": "mips", "args": [2, 0x80002, 17], "ret": -120, "errno": "EPROTONOSUPPORT",
                       "errno_number": 120, "fds": []}, mips["abi"]
assert not sparc["differs"] and sparc["abi"]["args"] == [2, 0x400001, 17] and sparc["abi"]["ret"] == -43, sparc
af = [c for c in calls if c["args"][0] == 999][0]            # EAFNOSUPPORT: 97 here
assert af["kernel"]["ret"] == -97 and [w["abi"]["errno_number"] for w in af["what_if"]] == [124, 47], af
dgram = [c for c in calls if c["args"] == [2, 0x80002, 0]][0]  # SOCK_DGRAM|SOCK_CLOEXEC: SO_TYPE 1 on mips
m = dgram["what_if"][0]
assert not m["differs"] and m["abi"]["args"] == [2, 0x80001, 0], m
assert m["abi"]["fds"][0]["SO_TYPE"] == 1 and m["model"]["fds"][0]["SO_TYPE"] == 2 == dgram["kernel"]["fds"][0]["SO_TYPE"], m
' "$out" || fail "abi JSON"
    # A bit that is no constant here is a literal of the program: 0x80 is
    # invalid here (EINVAL), SOCK_NONBLOCK on mips, nothing on sparc. The
    # call mips makes, socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK),
    # gets F_GETFD 1, F_GETFL 04002 and SO_TYPE 1 from this kernel: checked
    # below, after the prediction of the same.
    lit='import socket
try: socket.socket(socket.AF_INET, socket.SOCK_STREAM | 0x80)
except OSError as e: print(e.errno)'
    trace --quiet --why --what-if abi=mips --what-if abi=sparc -- "$py" -c "$lit"
    check_summary 1
    expect "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|0x80, IPPROTO_IP) = -1 EINVAL agree"
    grep -q "^  what-if abi=mips: [0-9]* fd [0-9]* (F_GETFD 1, F_GETFL 04002, SO_TYPE 1, SO_PROTOCOL 6, SO_DOMAIN 2) (passes there; here __sys_socket_create: .*) \[first difference of this process\]$" "$out" ||
        fail "abi=mips: no difference for 0x80"
    grep -q "^    mips: socket(2, 0x80082, 0) = [0-9]* fd [0-9]* (F_GETFD 1, F_GETFL 0202, SO_TYPE 2, SO_PROTOCOL 6, SO_DOMAIN 2)$" "$out" ||
        fail "abi=mips: --why has no mips numbers"
    grep -qxF "  what-if abi=sparc: the same; sparc: socket(2, 0x400081, 0) = -1 EINVAL (errno 22 there)" "$out" ||
        fail "abi=sparc: --why has no sparc numbers"
    "$py" -c 'import fcntl, socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
got = (fcntl.fcntl(s, fcntl.F_GETFD), fcntl.fcntl(s, fcntl.F_GETFL), s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE))
assert got == (1, 0o4002, 1), got' || fail "the live kernel does not answer the call mips makes as predicted"
    # A bad ABI: exit 2, the term and the valid names.
    "$tool" --what-if abi=vax -- /bin/true >/dev/null 2>"$err"
    [ $? = 2 ] || fail "--what-if abi=vax: not exit 2"
    grep -qxF "sockmodel-trace: --what-if 'abi=vax': term 'abi=vax': unknown ABI 'vax' (generic, mips, alpha, parisc, sparc or host)" "$err" ||
        fail "--what-if abi=vax: $(cat "$err")"
    echo "ptrace.$case: ok"
    ;;
whatif_filemax)
    # --what-if file-max=N, predicted from the files in use here (file-nr at
    # each call). whatif_filemax_real checks the same against the kernel:
    # below the files in use, nobody's first socket gets ENFILE
    # (alloc_empty_file), root's does not (CAP_SYS_ADMIN).
    [ "$(id -u)" = 0 ] || { echo "ptrace: SKIPPED: $case needs root"; exit 0; }
    two='import socket
s = socket.socket(); u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)'
    low=$(( $(cut -f1 /proc/sys/fs/file-nr) - 100 ))
    [ "$low" -gt 100 ] || { echo "ptrace: SKIPPED: too few files in use for a file-max below them"; exit 0; }
    trace --quiet --what-if "as=nobody+file-max=$low" --what-if as=nobody+file-max=100000000 --what-if "file-max=$low" \
        --what-if "userns+file-max=$low" -- "$py" -c "$two"
    check_summary 2
    grep -q "^  what-if as=nobody+file-max=$low: -1 ENFILE (alloc_empty_file: VFS: file-max limit reached; [0-9]* files in use at the call, file-max $low: a snapshot of /proc/sys/fs/file-nr, which moves with every process) \[first difference of this process\]$" "$out" ||
        fail "as=nobody+file-max=$low: no ENFILE for the first socket"
    grep -q "^sockmodel-trace: what-if as=nobody+file-max=100000000: 0 calls would differ .*only as exact as that snapshot$" "$err" ||
        fail "a high file-max differs"
    grep -q "^sockmodel-trace: what-if file-max=$low: 0 calls would differ" "$err" || fail "root differs under file-max"
    # CAP_SYS_ADMIN counts in init_user_ns only (capable()): root of a user namespace is refused.
    grep -q "^  what-if userns+file-max=$low: -1 ENFILE (alloc_empty_file" "$out" || fail "userns+file-max"
    # --needs: nobody needs file-max above the files in use; root does not.
    trace --nobody --quiet --needs -- "$py" -c "$two"
    check_summary 2
    grep -q "^  fs.file-max >= [0-9]* for socket(AF_[A-Z]*, SOCK_[A-Z]*|SOCK_CLOEXEC, [A-Z_0]*) ([0-9]* files in use on this machine at the call: a snapshot of /proc/sys/fs/file-nr, which moves with every process)$" "$out" ||
        fail "--needs as nobody: no fs.file-max"
    trace --quiet --needs -- "$py" -c "$two"
    grep -q "fs.file-max" "$out" && fail "--needs as root: fs.file-max listed"
    # Bad values: exit 2, the term named.
    for spec in "file-max=" "file-max=abc" "file-max=-1"; do
        bad_spec "$spec" "term '$spec'"
    done
    echo "ptrace.$case: ok"
    ;;
whatif_filemax_real)
    # fs.file-max lowered below the files in use for a moment (and always
    # put back): test/ptrace/whatif_check.py filemax. RUN_SERIAL in CTest:
    # while it is low, no unprivileged process can open a file.
    [ "$(id -u)" = 0 ] || { echo "ptrace: SKIPPED: $case needs root (it writes fs.file-max)"; exit 0; }
    "$py" "$dir/whatif_check.py" filemax "$tool" >>"$out" 2>>"$err" || fail "whatif_check filemax"
    grep -q "SKIPPED" "$out" && { echo "ptrace: SKIPPED: $(cat "$out")"; exit 0; }
    grep -q "; 0 wrong$" "$out" || fail "no check ran"
    cat "$out"
    echo "ptrace.$case: ok"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
