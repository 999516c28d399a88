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


def main(argv):
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
