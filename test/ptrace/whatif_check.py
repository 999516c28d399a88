#!/usr/bin/env python3
# Checks sockmodel-trace --what-if predictions against the live kernel, and
# --needs against real runs with one capability or some fd headroom removed.
#
#   whatif_check.py predict TOOL SPEC ENV MIN_FIRSTS -- PROGRAM [ARGS...]
#       Runs PROGRAM under TOOL --what-if SPEC (here: the tool's own
#       credentials, as root), then again under TOOL as ENV runs it for real
#       (the first three run the tool itself there: setpriv and unshare make
#       socket calls of their own):
#         nobody      setpriv --reuid=65534 --regid=65534 --clear-groups
#                     --inh-caps=-all --bounding-set=-all TOOL -- PROGRAM
#         userns      unshare -Ur TOOL -- PROGRAM
#         userns+netns unshare -Urn TOOL -- PROGRAM
#         nofile=N    RLIMIT_NOFILE N:N set by a python3 wrapper that execs PROGRAM
#         netns-ping=LOW-HIGH  unshare -n, net.ipv4.ping_group_range written, exec PROGRAM
#       The tool traces the real run too (the kernel's answers, and the
#       model must agree with them there as well). Processes are matched by
#       order of first socket call, calls by their order in the process. For
#       each process: every call up to the first predicted difference must
#       have the same arguments and the kernel must answer it as predicted
#       (so the "no difference" answers before it are checked too); when the
#       process has no predicted difference, every call. A first difference
#       marked "if the program went on the same way" (a task made after its
#       creator's difference) is checked when the real call has the same
#       arguments. A call the real run does not reach (it went another way
#       by a call that is not a socket call) is listed, neither confirmed nor
#       refuted. Fails on a wrong answer, or when fewer than MIN_FIRSTS
#       certain first differences were confirmed.
#
#   whatif_check.py needs TOOL -- PROGRAM [ARGS...]
#       Runs PROGRAM under TOOL --needs, then for each capability 0..40 runs
#       it for real with only that capability taken out of the bounding set
#       (setpriv --bounding-set=-CAP: the program runs as root with the rest):
#       the kernel's answers must change exactly for the capabilities --needs
#       lists. Then with RLIMIT_NOFILE at LimitNOFILE= (no answer changes) and
#       one below it (an answer changes).
#
#   whatif_check.py filemax TOOL
#       fs.file-max against the live kernel (as root; it writes the sysctl
#       for a moment, and always puts it back). Two waiters are started under
#       TOOL (as root), one as nobody (setpriv, as OUTER["nobody"]) and one
#       as root:
#       each imports, says "ready", then waits for a line on stdin. With
#       file-max lowered 100 below the files in use (/proc/sys/fs/file-nr,
#       the margin for the count's per-CPU slack and for other processes),
#       both are let go: each makes socket(AF_INET, SOCK_STREAM) and
#       socket(AF_UNIX, SOCK_DGRAM) and prints the outcomes; then file-max
#       is restored. The kernel must refuse nobody's first socket with ENFILE
#       and give root both (CAP_SYS_ADMIN goes above file-max), the tool's
#       model must agree with both runs (it reads file-nr at each call), and
#       --what-if as=nobody+file-max=F / file-max=F, made here beforehand with
#       the same F, must have predicted exactly that.
#
# Prints one summary line; exit 1 on any wrong prediction.
import json
import os
import subprocess
import sys
import tempfile

CAPS = ["chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
        "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
        "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
        "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
        "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
        "checkpoint_restore"]


def trace(tool, opts, program, outer=()):
    """The tool's jsonl report of PROGRAM (the tool run by OUTER): (calls, summary)."""
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as out:
        os.chmod(out.name, 0o666)  # an unprivileged tool writes there
        r = subprocess.run(list(outer) + [tool, "--quiet", "--format", "jsonl", "-o", out.name] + opts + ["--"] + program,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
        lines = [json.loads(l) for l in out.read().splitlines() if l.strip()]
    calls = [l for l in lines if "summary" not in l]
    summary = [l["summary"] for l in lines if "summary" in l]
    if not summary:
        sys.exit("whatif_check: no summary from %s (stderr: %s)" % (program, r.stderr))
    if summary[0]["disagree"]:
        sys.exit("whatif_check: the model disagreed with the kernel in %s: %s" % (program, r.stderr))
    return calls, summary[0]


def by_process(calls):
    order, procs = [], {}
    for c in calls:
        if c["pid"] not in procs:
            order.append(c["pid"])
            procs[c["pid"]] = []
        procs[c["pid"]].append(c)
    return [procs[p] for p in order]


# The environments where the tool itself runs (it traces as the program
# runs there; setpriv and unshare make socket calls of their own).
OUTER = {
    "nobody": ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"],
    "userns": ["unshare", "-Ur"],
    "userns+netns": ["unshare", "-Urn"],
}


def env_prefix(env):
    if env.startswith("nofile="):
        n = int(env.split("=")[1])
        return [sys.executable, "-c", "import os,resource,sys; resource.setrlimit(resource.RLIMIT_NOFILE, (%d, %d)); "
                "os.execvp(sys.argv[1], sys.argv[1:])" % (n, n)]
    if env.startswith("netns-ping="):
        low, high = env.split("=")[1].split("-")
        return ["unshare", "-n", "sh", "-c",
                "echo %s %s > /proc/sys/net/ipv4/ping_group_range && exec \"$@\"" % (low, high), "sh"]
    sys.exit("whatif_check: unknown environment " + env)


def outcome(ret):
    return ret


def predict(tool, spec, env, min_firsts, program):
    pred, _ = trace(tool, ["--what-if", spec], program)
    if env in OUTER:
        real, _ = trace(tool, [], program, OUTER[env])
    else:
        real, _ = trace(tool, [], env_prefix(env) + program)
    pp, rp = by_process(pred), by_process(real)
    checked = firsts = later = unreached = wrong = 0
    problems, notes = [], []
    for i, calls in enumerate(pp):
        rcalls = rp[i] if i < len(rp) else []
        for j, c in enumerate(calls):
            w = c["what_if"][0]
            if "model" not in w:
                problems.append("process %d call %d not modelled: %s" % (i, j, w))
                wrong += 1
                break
            if j >= len(rcalls) or rcalls[j]["args"] != c["args"]:
                # The real run went another way before this call, by
                # something that is not a socket call (a file the lowered
                # limit refused, a route the new netns lacks): the
                # prediction is not reached, neither confirmed nor refuted.
                unreached += 1
                notes.append("process %d call %d %s not reached for real (%s instead)" % (
                    i, j, c["text"].split(" = ")[0], rcalls[j]["text"] if j < len(rcalls) else "no call"))
                break
            want, got = w["model"]["ret"], rcalls[j]["kernel"]["ret"]
            checked += 1
            if want != got:
                problems.append("process %d call %d %s: predicted %s, the kernel answered %s" % (
                    i, j, c["text"].split(" = ")[0], want, got))
                wrong += 1
                break
            if w["differs"]:
                if w["certain"]:
                    firsts += 1
                else:
                    later += 1
                break
    if firsts < min_firsts:
        problems.append("%d first differences confirmed, want at least %d" % (firsts, min_firsts))
    print("whatif_check: --what-if %s vs %s: %s: %d processes, %d answers checked, %d certain first differences "
          "and %d others confirmed, %d not reached, %d wrong" % (
              spec, env, " ".join(program), len(pp), checked, firsts, later, unreached, wrong))
    for p in notes + problems:
        print("  " + p)
    return not problems


def needs(tool, program):
    _, summary = trace(tool, ["--needs"], program)
    listed = {n["needs"] for n in summary["needs"]}
    base, _ = trace(tool, [], program)
    answers = lambda calls: [(c["args"], c["kernel"]["ret"]) for c in calls]
    want = answers(base)
    wrong = []
    for bit, name in enumerate(CAPS):
        calls, _ = trace(tool, [], ["setpriv", "--bounding-set=-" + name, "--inh-caps=-" + name] + program)
        changed = answers(calls) != want
        if changed != ("CAP_" + name.upper() in listed):
            wrong.append("CAP_%s: real answers %s, --needs %s" % (
                name.upper(), "change" if changed else "do not change",
                "lists it" if changed is False else "does not list it"))
    limit = [int(l.split("=")[1]) for l in summary["systemd"] if l.startswith("LimitNOFILE=")]
    if limit:
        for n, should_change in ((limit[0], False), (limit[0] - 1, True)):
            calls, _ = trace(tool, [], env_prefix("nofile=%d" % n) + program)
            if (answers(calls) != want) != should_change:
                wrong.append("RLIMIT_NOFILE %d: answers %s" % (n, "change" if not should_change else "do not change"))
    print("whatif_check: --needs %s: %d capabilities and %s checked against real runs; listed: %s; %d wrong" % (
        " ".join(program), len(CAPS), "LimitNOFILE=%d" % limit[0] if limit else "no LimitNOFILE",
        ", ".join(sorted(listed)) or "nothing", len(wrong)))
    for w in wrong:
        print("  " + w)
    return not wrong


WAITER = r"""import socket, sys
print("ready", flush=True)
sys.stdin.readline()
out = []
for fam, typ in ((socket.AF_INET, socket.SOCK_STREAM), (socket.AF_UNIX, socket.SOCK_DGRAM)):
    try:
        out.append("fd %d" % socket.socket(fam, typ).fileno())
    except OSError as e:
        out.append("errno %d" % e.errno)
print(" ".join(out), flush=True)
"""
ENFILE = 23


def file_nr():
    with open("/proc/sys/fs/file-nr") as f:
        nr, _, mx = (int(x) for x in f.read().split())
    return nr, mx


def filemax(tool):
    import signal
    nr, old_max = file_nr()
    low = nr - 100
    with open("/proc/net/unix") as f:
        unix = len(f.readlines()) - 1
    if low < 100 or unix >= low:
        print("whatif_check: SKIPPED: %d files in use, %d AF_UNIX sockets: no safe low file-max" % (nr, unix))
        return True
    py = sys.executable
    prog = [py, "-c", WAITER]
    # The predictions, made with the machine's own file-max.
    def predicted(spec, outer=()):
        with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as out:
            os.chmod(out.name, 0o666)
            subprocess.run(list(outer) + [tool, "--quiet", "--format", "jsonl", "-o", out.name, "--what-if", spec,
                                          "--"] + prog, input="go\n", stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, text=True, timeout=60)
            return [json.loads(l) for l in out.read().splitlines() if l.strip() and "summary" not in l]
    pred_nobody = predicted("as=nobody+file-max=%d" % low)
    pred_root = predicted("file-max=%d" % low)
    problems = []
    first = pred_nobody[0]["what_if"][0] if pred_nobody else {}
    if not (first.get("differs") and first.get("certain") and first["model"].get("errno") == "ENFILE"):
        problems.append("as=nobody+file-max=%d: no certain ENFILE predicted for the first socket: %s" % (low, first))
    if any(c["what_if"][0]["differs"] for c in pred_root):
        problems.append("file-max=%d as root: a difference predicted: %s" % (low, pred_root))
    # The real runs: both waiters ready, then file-max lowered for as long as they take.
    outs = [tempfile.NamedTemporaryFile("r", suffix=".jsonl") for _ in range(2)]
    procs = []
    answers = []
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit("whatif_check: SIGTERM"))
    try:
        # The tool runs as root (its own files go above file-max), the waiter
        # as nobody through setpriv under it.
        for inner, out in ((OUTER["nobody"], outs[0]), ([], outs[1])):
            procs.append(subprocess.Popen([tool, "--quiet", "--format", "jsonl", "-o", out.name, "--"] + inner + prog,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))
        for p in procs:
            if p.stdout.readline().strip() != "ready":
                raise RuntimeError("a waiter did not start")
        nr, _ = file_nr()
        low = nr - 100
        try:
            with open("/proc/sys/fs/file-max", "w") as f:
                f.write("%d\n" % low)
            for p in procs:
                p.stdin.write("go\n")
                p.stdin.flush()
            answers = [p.stdout.readline().split() for p in procs]
        finally:
            with open("/proc/sys/fs/file-max", "w") as f:
                f.write("%d\n" % old_max)
        for p in procs:
            p.communicate(timeout=60)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if file_nr()[1] != old_max:  # never leave it lowered
            with open("/proc/sys/fs/file-max", "w") as f:
                f.write("%d\n" % old_max)
        for p in procs:
            if p.poll() is None:
                p.kill()
    reports = []
    for out in outs:
        reports.append([json.loads(l) for l in open(out.name).read().splitlines() if l.strip()])
        out.close()
    want = [["errno", str(ENFILE)], ["fd"]]
    if len(answers) != 2 or answers[0][:2] != want[0] or answers[1][:1] != want[1] or answers[1][2:3] != ["fd"]:
        problems.append("the kernel answered nobody %s and root %s (file-max %d)" % (answers[:1], answers[1:], low))
    for who, rep in zip(("nobody", "root"), reports):
        calls = [r for r in rep if "summary" not in r]
        summary = [r["summary"] for r in rep if "summary" in r]
        if not calls or not summary or summary[0]["disagree"] or any(c["verdict"] != "agree" for c in calls):
            problems.append("the model did not agree with the kernel as %s under file-max %d: %s" % (who, low, rep))
    # (setpriv's own socket calls come first, before file-max is lowered: the
    # waiter's first is its AF_INET one.)
    inet = [c for c in reports[0] if "summary" not in c and c["args"][0] == 2]
    real_first = inet[0]["kernel"]["ret"] if inet else None
    pred_first = pred_nobody[0]["what_if"][0]["model"]["ret"] if pred_nobody else None
    if real_first != pred_first:
        problems.append("nobody's first socket: predicted %s, the kernel answered %s" % (pred_first, real_first))
    print("whatif_check: file-max %d (%d files in use, restored to %d): nobody %s, root %s; predicted nobody %s, "
          "root no difference; %d wrong" % (low, nr, old_max, " ".join(answers[0]) if answers else "?",
                                            " ".join(answers[1]) if len(answers) > 1 else "?", pred_first,
                                            len(problems)))
    for p in problems:
        print("  " + p)
    return not problems


def main(argv):
    if len(argv) == 3 and argv[1] == "filemax":
        sys.exit(0 if filemax(argv[2]) else 1)
    if len(argv) < 4 or "--" not in argv:
        sys.exit(__doc__)
    sep = argv.index("--")
    program = argv[sep + 1:]
    if argv[1] == "predict":
        ok = predict(argv[2], argv[3], argv[4], int(argv[5]), program)
    elif argv[1] == "needs":
        ok = needs(argv[2], program)
    else:
        sys.exit("whatif_check: predict or needs")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv)
