// sockmodel-trace's command line.
#include "args.hpp"

#include "abi.hpp"
#include "families.hpp"
#include "whatif.hpp"

#include <sockmodel/sockmodel.hpp>
#include <sockmodel/trace/render.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <arpa/inet.h>

namespace sockmodel_trace {

namespace {
// The points of the model kernels the tool runs (its families'; the ABI and
// the tracer do not change the table).
using fault_points_kernel =
    sockmodel::kernel<sockmodel::config<families::option, sockmodel::opt::faults<sockmodel::fault::inject>>>;
}  // namespace

namespace sm = sockmodel;

void bad(const std::string& msg) { throw usage_error(msg); }

std::string quoted(std::string_view s)
{
    std::string q;
    q.reserve(s.size() + 2);
    q.push_back('\'');
    q.append(s);
    q.push_back('\'');
    return q;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

namespace {

// Built by append: GCC 12's -O3 warns (-Wrestrict, a false positive) on
// the inlined operator+ of a literal and a temporary std::string.

// ---------------------------------------------------------------------------
// Help

constexpr const char* help_text = R"(usage: sockmodel-trace [options] [FAMILY TYPE PROTOCOL]
       sockmodel-trace [--quiet] [--strict] [--format tree|json|jsonl] [-o FILE]
                       [--what-if SPEC]... [--why] [--needs] -- PROGRAM [ARGS...]

Runs socket(FAMILY, TYPE, PROTOCOL) through the sockmodel model of the Linux
6.18 socket path and prints the traced call tree, then one strace-style line
per system call ("socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3").
Without arguments it traces socket(AF_INET, SOCK_STREAM, 0) and its close().

The model task starts like a program launched from a shell: three untraced
AF_UNIX sockets are opened first so that fds 0, 1 and 2 are in use and the
first traced socket gets fd 3. --fill-fds opens more untraced sockets after
those; --rlimit-nofile is applied after all of them, like a process that
lowers its limit keeps the descriptors it already has.

Arguments
  FAMILY    AF_INET, PF_INET, INET, inet, ... (every name of pf_family_names,
            AF_LOCAL/AF_FILE/AF_ROUTE aliases) or a number: 2, 0x2, -1, 999
  TYPE      '|'-joined parts, each a name for the chosen ABI (SOCK_STREAM,
            SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_DCCP,
            SOCK_PACKET, SOCK_CLOEXEC, SOCK_NONBLOCK, O_CLOEXEC, O_NONBLOCK)
            or a number: 'SOCK_STREAM|SOCK_CLOEXEC', 'SOCK_STREAM|0x10', 12
  PROTOCOL  what strace prints for the family, or a number:
              AF_INET, AF_INET6  IPPROTO_* (IPPROTO_TCP, IPPROTO_ICMPV6, IPPROTO_MPTCP, ...)
              AF_NETLINK         NETLINK_* (NETLINK_ROUTE, NETLINK_SOCK_DIAG,
                                 NETLINK_GENERIC, ... every name of <linux/netlink.h>)
              AF_PACKET          htons(ETH_P_ALL), htons(ETH_P_IP), ... or htons(N)
              AF_UNIX, AF_VSOCK, AF_XDP, ...  plain numbers (0, 40)
            Names are not checked against the family: 'AF_PACKET SOCK_RAW
            IPPROTO_TCP' is socket(AF_PACKET, SOCK_RAW, 6) and prints as 6.
  Numbers are C literals: decimal, 0x hex, 0 octal, optionally negative.

Options
  --as root|user|userns credentials: root (uid 0, every capability; the default),
                        user (uid/gid 65534, no groups, no capabilities), or
                        userns: user, then unshare(CLONE_NEWUSER) as
                        `unshare -U` gives it (every capability, but inside a
                        new user namespace, with no uid/gid map). The network
                        namespace is not changed: it stays owned by the initial
                        user namespace, so checks like ns_capable(net->user_ns,
                        CAP_NET_RAW) still fail. --uid/--gid/--groups/--caps
                        shape the credentials before the unshare.
  --uid N, --gid N      set every uid (gid) of the chosen credentials
  --groups A,B,...      supplementary groups ('' or none: no groups)
  --caps none|all|LIST  effective capabilities, LIST like net_raw,net_admin
  --abi NAME            @ABIS@ (the
                        default; the ABI of this machine)
  --close, --no-close   also trace close() of the new fd (default: on without
                        positional arguments, off with them)
  --socketpair          call socketpair(FAMILY, TYPE, PROTOCOL, sv) instead of
                        socket(); with --close, both fds are closed
  --format tree|json|dot
                        tree (default), JSON Lines, or a Graphviz digraph
  --ping-group LOW-HIGH net.ipv4.ping_group_range of the model's netns (default
                        1-0, empty; HIGH < LOW empties it, as the sysctl does)
  --rlimit-nofile N     RLIMIT_NOFILE soft limit of the task (default 1024)
  --fill-fds N          open N more untraced sockets (fds 3..N+2) first
  --compare-host        also call socket() on the running kernel with the same
                        arguments, credentials, fds, rlimit and ping_group_range
                        and print "host: ...; model: ...; agree|DISAGREE"; exit
                        status 1 if they disagree. Needs root and --abi host.
                        A forked child makes the call: it enters a new network
                        namespace (fresh sysctls, ping_group_range set as
                        above), closes inherited descriptors above 2, opens the
                        --fill-fds sockets, sets the rlimit, then drops to the
                        credentials with setgroups/setresgid/setresuid (and
                        capset), with --as userns then unshare(CLONE_NEWUSER)
                        (the netns made above, as root, keeps its owner), and
                        reports through a pipe. fd numbers are
                        compared only when the host process has exactly fds
                        0, 1 and 2 open; otherwise only success/errno.
  --inject POINT[:N]    fault injection: the N-th call (default 1) of the traced
                        socket() to reach POINT fails there, and the tree shows
                        the unwinding (goto labels and what each undoes).
                        --inject list names every point. Not with --compare-host.
  -h, --help            this text

Tracing a real program: -- PROGRAM [ARGS...]
  Runs PROGRAM (found in PATH as a shell would) under ptrace, following its
  forks, vforks, clones and execs. A seccomp filter (installed before exec)
  stops the program only at socket, socketpair, close, close_range, unshare,
  setns, set*id, setgroups and capset; every other call runs without a stop
  (where the filter cannot be installed, every call stops). At each socket()
  and socketpair() the calling task is given to a model kernel kept for its
  descriptor table: the uids, gids and groups of /proc/PID/status and its
  CapEff (re-read after the calls that change them), its RLIMIT_NOFILE
  (prlimit, else /proc/PID/limits), placeholder sockets on exactly the fds
  the task has open (kept up to date call by call: closes are seen, fds made
  by other calls are found in /proc/PID/fd when they would be the lowest
  free one, so a call costs the same with 3 or 3000 open fds), its user and
  network namespaces relative to the tool's own (the tool may itself run in a
  rootless container: capabilities held in a user namespace do not reach a
  netns owned by init_user_ns), and the netns's net.ipv4.ping_group_range,
  net.mptcp.enabled, net.ipv6.bindv6only and net.core.[rw]mem_default (read
  through files opened in that netns: by setns with CAP_SYS_ADMIN, or by a
  helper that enters the netns's user namespace when the tool owns it). The
  model makes the call, then the real call runs, and at its exit the two are
  compared: the errno or the fd number(s), and for each new fd F_GETFD (the
  "flags:" of /proc/PID/fdinfo/FD), F_GETFL, SO_TYPE, SO_PROTOCOL and
  SO_DOMAIN (read through pidfd_getfd(2)).
  Each call prints one strace-style line with the verdict, then the model's
  call tree:
    [pid 1234] socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3 agree
    [pid 1234] socket(...) = 3 DISAGREE: model -1 EPERM kernel 3
    [pid 1234] socket(...) = 5 race: model 4 ... kernel 5 ... (the table changed during the call: close(4) by [pid 1236])
    [pid 1234] socketpair(AF_UNIX, SOCK_STREAM, 0, [3, 4]) = 0 not modelled: REASON
  "race": another thread changed the descriptor table between the call's
  entry and exit, and the outcomes differ in fd numbers only (numbers the
  model would give on the table as it then was); the evidence names the
  calls and threads. Races are counted apart and do not fail --strict; any
  other difference is a disagreement.
  "not modelled" is never counted as agreement: a task whose view cannot be
  read (e.g. its netns's sysctls without the right to enter it), an ICMP
  datagram socket whose answer depends on ping_group_range and gids that the
  tool's user namespace does not map (unshare -U: they read as the overflow
  gid), a 32-bit (non-x86_64) system call. accept4() and other fd-making
  calls are not compared.
  At the end, on stderr:
    sockmodel-trace: N calls (socket S, socketpair P): A agree, D disagree[, R race][, M not modelled]
  The program's stdin, stdout and stderr are the tool's; the report goes to
  stdout (or -o FILE) and may interleave with the program's own output.
  Signals: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the tool reach the
  program (once: a signal to the process group, as Ctrl-C sends, is not
  sent twice); the tool prints its summary when the program ends and exits
  with its status (killed by a signal: the tool kills itself with it).
  A program with file capabilities (security.capability) does not get them
  while traced by a tracer without CAP_SYS_PTRACE (nor under the
  no_new_privs an unprivileged tool's filter needs): the tool warns once per
  such exec, naming the capabilities whose calls will fail here.
  To trace as an unprivileged user, start the tool itself as that user, e.g.
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        sockmodel-trace -- python3 script.py
  or in a rootless container: unshare -Ur sockmodel-trace -- PROGRAM.
  --quiet, -q           no call trees (json: no "events"); the model runs
                        untraced, faster
  --format tree|json|jsonl
                        tree (default); json: one JSON document
                        {"calls": [...], "summary": {calls, socket,
                        socketpair, agree, disagree, race, not_modelled}},
                        each call an object: pid, call, text, args, kernel
                        and model ({ret, errno, fds: [{fd, F_GETFD, F_GETFL,
                        SO_TYPE, SO_PROTOCOL, SO_DOMAIN}]}; model is null when
                        not modelled), verdict ("agree", "disagree", "race" or
                        "not modelled"), reason, race (the evidence), events
                        (the model's trace), what_if (with --what-if: per
                        SPEC {spec, differs, model, reason, certain, events
                        with --why}); jsonl: the same objects one a line as
                        the calls happen, then {"summary": {...}}. The
                        summary adds what_if [{spec, differ, first}] and,
                        with --needs, needs [{needs, calls}] and systemd
  -o FILE, --output FILE
                        write the report to FILE (close-on-exec: the program
                        does not inherit it)
  --strict              exit status 1 if any call disagreed (races do not) or
                        a --what-if answer differed
  --what-if SPEC        answer every socket()/socketpair() again in the model
                        as SPEC's environment would (repeatable; the program
                        still runs here). A call whose answer would differ
                        gets a line with the function and check that decide:
                          what-if as=nobody: -1 EPERM (inet_create: SOCK_RAW
                          without CAP_NET_RAW) [first difference of this process]
                        The first difference of a process is certain (if the
                        program reaches the call); later ones, and those of a
                        task made after its creator's first difference, are
                        "if the program went on the same way". SPEC is terms
                        joined by '+' or ',' (a ',' inside as=, caps= and
                        families= continues their list):
                          as=nobody | as=UID:GID[,GROUP...]   ids; a uid other
                                      than 0 has no capabilities
                          caps=none|all|LIST | caps=-CAP,+CAP  effective caps
                          userns      unshare -U(r): a child user namespace
                                      (every capability there; the netns
                                      stays the initial one)
                          netns       unshare -n: a new netns owned by the
                                      task's user namespace, sysctls at their
                                      defaults (userns+netns: unshare -Urn)
                          ping_group_range=LOW-HIGH   net.ipv4.ping_group_range
                          nofile=SOFT[:HARD]          RLIMIT_NOFILE
                          file-max=N  fs.file-max: alloc_empty_file's
                                      ENFILE without CAP_SYS_ADMIN, counted
                                      from the files in use here
                                      (/proc/sys/fs/file-nr at each call: a
                                      snapshot, as exact as that count)
                          abi=ARCH    the program built for ARCH, one of
                                      @ABIS@:
                                      each call's SOCK_* type and flags in
                                      ARCH's numbers (other bits as they
                                      are), asked of a model of that ABI;
                                      a difference is one of errno name,
                                      fd or file flags (--why and JSON
                                      "abi" show ARCH's numbers)
                          families=F,F,... | no-F     families registered
                                      (no-ipv6 = no-inet6)
                          rules=FILE  deny rules run by a run-time LSM hook
                                      (security_socket_create), one a line:
                                      deny [uid=N] [family=F] [type=T]
                                      [protocol=P] [errno=EACCES|EPERM]
                        e.g. --what-if as=nobody --what-if userns+netns
                        --what-if nofile=64 --what-if no-ipv6
                        --what-if as=nobody+file-max=1000
                        --what-if abi=mips. See
                        docs/what-if.md.
  --why                 with --what-if: the model's call tree under each
                        answer that would differ (with abi=, every call's
                        arguments and answer in ARCH's numbers too)
  --needs               after the run, what the successful calls relied on:
                        each capability, supplementary group, sysctl
                        (ping_group_range, net.mptcp.enabled), family, the
                        RLIMIT_NOFILE headroom and the fs.file-max headroom
                        above the files in use whose removal (one at a
                        time, in the model) changes a call's answer, and the
                        systemd lines CapabilityBoundingSet=,
                        RestrictAddressFamilies= and LimitNOFILE=
  The single-call options (--as, --uid, --gid, --groups, --caps, --abi,
  --close, --ping-group, --rlimit-nofile, --fill-fds, --compare-host and
  --format dot) are refused with a program: the task supplies all of that.
  Needs ptrace: PTRACE_TRACEME refused (Yama's kernel.yama.ptrace_scope=3
  where Yama is, a seccomp filter, the tool itself being traced) is reported
  with exit status 2.
  SOCKMODEL_TRACE_NO_SECCOMP=1 in the environment: stop at every call (no
  filter), as where seccomp is not available.

With a program: the program's own exit status (128+N if signal N killed it),
1 under --strict if a call disagreed, 126 (found but not executable) or 127
(not found) as a shell says it, 2 bad input or ptrace not permitted.

Exit status (one call): 0 done, 1 the host disagreed with the model, 2 bad input,
3 internal error, 4 the host refused to mirror the model task (--compare-host:
a setup step failed, e.g. --fill-fds or --rlimit-nofile above the host's hard
RLIMIT_NOFILE, or a namespace the child may not enter).

Examples
  sockmodel-trace
  sockmodel-trace AF_INET SOCK_STREAM IPPROTO_UDP
  sockmodel-trace AF_UNIX SOCK_RAW 0
  sockmodel-trace --as user AF_INET SOCK_RAW IPPROTO_ICMP
  sockmodel-trace AF_NETLINK 'SOCK_RAW|SOCK_CLOEXEC' NETLINK_ROUTE
  sockmodel-trace --as userns AF_PACKET SOCK_RAW 'htons(ETH_P_ALL)'
  sockmodel-trace --as user --ping-group 65534-65534 AF_INET SOCK_DGRAM IPPROTO_ICMP
  sockmodel-trace --rlimit-nofile 4 --fill-fds 1 AF_INET SOCK_STREAM 0
  sockmodel-trace --abi mips AF_INET 'SOCK_DGRAM|SOCK_NONBLOCK' 0
  sockmodel-trace --format dot | dot -Tsvg -o trace.svg
  sockmodel-trace --compare-host --as user AF_INET SOCK_DGRAM IPPROTO_ICMP
  sockmodel-trace --inject sk_prot_alloc AF_INET SOCK_STREAM 0
  sockmodel-trace --socketpair --close AF_UNIX SOCK_STREAM 0
  sockmodel-trace -- ip addr
  sockmodel-trace --quiet --strict -- curl -s http://127.0.0.1:1/
  sockmodel-trace --format json -o calls.json -- python3 -c 'import socket; socket.socket()'
  sockmodel-trace --format jsonl -- python3 -c 'import socket; socket.socket()'
  sockmodel-trace --quiet --what-if as=nobody --what-if userns --needs -- python3 script.py
  unshare -Ur sockmodel-trace --quiet -- python3 script.py
)";

void print_help()
{
    std::string text = help_text;
    const std::string_view marker = "@ABIS@";
    for (std::size_t at; (at = text.find(marker)) != std::string::npos;)
        text.replace(at, marker.size(), abi_choices());
    std::fputs(text.c_str(), stdout);
}

// ---------------------------------------------------------------------------
// Numbers and names


std::string_view trim(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

bool looks_numeric(std::string_view s)
{
    return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+');
}

// A C integer literal (decimal, 0x hex, 0 octal), optionally signed.
std::optional<long long> parse_ll(std::string_view s)
{
    if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+'))
        return std::nullopt;
    const std::string str(s);
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(str.c_str(), &end, 0);
    if (errno == ERANGE || end == str.c_str() || *end != '\0')
        return std::nullopt;
    // strtoll accepts "0x" as 0 followed by garbage only if the x is left over;
    // "-" alone or "+" alone do not reach here with a full parse.
    return v;
}

// A system-call int argument: anything from INT_MIN to UINT_MAX, the upper
// half wrapping as the register would (0xffffffff is -1).
int parse_int_arg(std::string_view s, std::string_view what)
{
    const auto v = parse_ll(s);
    if (!v)
        bad("bad " + std::string(what) + " number " + quoted(s));
    if (*v < INT_MIN || *v > static_cast<long long>(UINT_MAX))
        bad(std::string(what) + " number out of range " + quoted(s));
    return static_cast<int>(static_cast<std::uint32_t>(static_cast<std::int64_t>(*v)));
}

}  // namespace

unsigned long parse_unsigned(std::string_view s, std::string_view what, unsigned long max)
{
    const auto v = parse_ll(s);
    if (!v || *v < 0 || static_cast<unsigned long long>(*v) > max)
        bad("bad " + std::string(what) + " value " + quoted(s));
    return static_cast<unsigned long>(*v);
}

sm::capability parse_cap_name(std::string_view s)
{
    std::string l = lower(trim(s));
    if (l.starts_with("cap_"))
        l = l.substr(4);
    for (const auto& [name, cap] : sm::capability_names)
        if (l == name)
            return cap;
    bad("unknown capability " + quoted(s));
}

sm::kernel_cap_t parse_caps(std::string_view s)
{
    const std::string l = lower(trim(s));
    if (l == "none" || l.empty())
        return sm::kernel_cap_t::empty();
    if (l == "all")
        return sm::kernel_cap_t::full();
    sm::kernel_cap_t caps;
    std::size_t pos = 0;
    while (true) {
        const std::size_t comma = s.find(',', pos);
        caps.raise(parse_cap_name(s.substr(pos, comma == std::string_view::npos ? comma : comma - pos)));
        if (comma == std::string_view::npos)
            break;
        pos = comma + 1;
    }
    return caps;
}

// A gid as the kernel accepts it: (gid_t)-1 is INVALID_GID.
sm::kgid_t parse_id(std::string_view s, std::string_view what)
{
    return static_cast<sm::kgid_t>(parse_unsigned(trim(s), what, 0xfffffffeUL));
}

std::vector<sm::kgid_t> parse_groups(std::string_view s)
{
    std::vector<sm::kgid_t> out;
    if (trim(s).empty() || lower(trim(s)) == "none")
        return out;
    std::size_t pos = 0;
    while (true) {
        const std::size_t comma = s.find(',', pos);
        out.push_back(parse_id(s.substr(pos, comma == std::string_view::npos ? comma : comma - pos), "--groups"));
        if (comma == std::string_view::npos)
            break;
        pos = comma + 1;
    }
    return out;
}

std::pair<sm::kgid_t, sm::kgid_t> parse_ping_range(std::string_view v, std::string_view what)
{
    const std::size_t sep = v.find_first_of("-, \t", 1);  // from 1: "-" can't start LOW anyway
    if (sep == std::string_view::npos)
        bad("bad " + std::string(what) + " value " + quoted(v) + " (LOW-HIGH)");
    const sm::kgid_t low = parse_id(v.substr(0, sep), what);
    const sm::kgid_t high = parse_id(v.substr(sep + 1), what);
    // ipv4_ping_group_range: a reversed range is stored as the empty "1 0".
    if (high < low)
        return {1, 0};
    return {low, high};
}

int parse_family(std::string_view s)
{
    s = trim(s);
    if (looks_numeric(s))
        return parse_int_arg(s, "family");
    const std::string l = lower(s);
    for (int i = 0; i < sm::family_names_count; ++i) {
        const std::string name = lower(sm::family_names[i]);  // "af_inet"
        const std::string bare = name.substr(3);
        if (l == name || l == "pf_" + bare || l == bare)
            return i;
    }
    static constexpr std::pair<std::string_view, int> aliases[] = {
        {"local", sm::af_unix}, {"file", sm::af_unix}, {"route", sm::af_netlink}};
    for (const auto& [bare, number] : aliases)
        if (l == bare || l == "af_" + std::string(bare) || l == "pf_" + std::string(bare))
            return number;
    bad("unknown family " + quoted(s));
}

int parse_type(std::string_view s, const type_names& names)
{
    if (trim(s).empty())
        bad("empty type");
    std::uint32_t type = 0;
    std::size_t pos = 0;
    while (true) {
        const std::size_t bar = s.find('|', pos);
        const std::string_view part = trim(s.substr(pos, bar == std::string_view::npos ? bar : bar - pos));
        if (part.empty())
            bad("empty part in type " + quoted(s));
        if (looks_numeric(part)) {
            type |= static_cast<std::uint32_t>(parse_int_arg(part, "type"));
        } else {
            const std::string up = [&] {
                std::string u(part);
                for (char& c : u)
                    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                return u;
            }();
            std::optional<int> value = sm::trace::value_of(names.types, up);
            if (!value)
                value = sm::trace::value_of(names.flags, up);
            if (!value)
                value = sm::trace::value_of(names.open_flags, up);
            if (!value)
                bad("unknown type " + quoted(part) + " for ABI " + std::string(names.abi));
            type |= static_cast<std::uint32_t>(*value);
        }
        if (bar == std::string_view::npos)
            break;
        pos = bar + 1;
    }
    return static_cast<int>(type);
}

int parse_protocol(std::string_view s)
{
    s = trim(s);
    if (looks_numeric(s))
        return parse_int_arg(s, "protocol");
    std::string up(s);
    for (char& c : up)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (up.starts_with("IPPROTO_")) {
        if (const std::optional<int> value = sm::trace::value_of(sm::ipproto_names, up))
            return *value;
        bad("unknown protocol " + quoted(s));
    }
    if (up.starts_with("NETLINK_")) {
        if (const std::optional<int> value = sm::trace::value_of(sm::netlink_protocol_names, up))
            return *value;
        bad("unknown protocol " + quoted(s));
    }
    if (up.starts_with("HTONS(") && up.ends_with(")")) {
        const std::string_view inner = trim(std::string_view(up).substr(6, up.size() - 7));
        unsigned v = 0;
        if (const std::optional<int> value = sm::trace::value_of(sm::ethertype_names, inner)) {
            v = static_cast<unsigned>(*value);
        } else {
            if (!looks_numeric(inner))
                bad("unknown ethertype " + quoted(inner) + " in protocol " + quoted(s));
            v = static_cast<unsigned>(parse_unsigned(inner, "htons()", 0xffff));
        }
        const std::uint16_t h = static_cast<std::uint16_t>(v);
        return static_cast<int>(htons(h));
    }
    // A name a family of the tool's prints (CAN_RAW in sockmodel-trace-can).
    if (const std::optional<int> value = families::protocol_by_name(up))
        return *value;
    bad("unknown protocol " + quoted(s));
}

// Upper bound for --fill-fds: the model's sysctl_nr_open, less the stdio three.
constexpr unsigned max_fill = sm::sysctl_nr_open_default - 4;

options parse_options(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool is_option = arg.size() > 1 && arg[0] == '-' &&
                               !std::isdigit(static_cast<unsigned char>(arg[1]));
        if (!is_option) {
            o.positional.emplace_back(arg);
            continue;
        }
        if (arg == "--") {
            // Everything after "--" is the program to trace and its arguments.
            o.program_mode = true;
            for (++i; i < argc; ++i)
                o.program.emplace_back(argv[i]);
            break;
        }
        if (arg == "-h" || arg == "--help") {
            print_help();
            std::exit(0);
        }
        std::string_view name = arg;
        std::optional<std::string_view> inline_value;
        if (const std::size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
        }
        auto flag = [&] {
            if (inline_value)
                bad("option " + quoted(name) + " takes no value");
        };
        auto value = [&]() -> std::string_view {
            if (inline_value)
                return *inline_value;
            if (i + 1 >= argc || std::string_view(argv[i + 1]) == "--")
                bad("option " + quoted(name) + " needs a value" +
                    (i + 1 < argc ? " before '--' (e.g. " + std::string(name) + " FILE -- PROGRAM)" : ""));
            return argv[++i];
        };
        if (name == "--as") {
            const std::string_view v = value();
            if (v != "root" && v != "user" && v != "userns")
                bad("bad --as value " + quoted(v) + " (root, user or userns)");
            o.as = v;
        } else if (name == "--uid") {
            o.uid = parse_id(value(), "--uid");
        } else if (name == "--gid") {
            o.gid = parse_id(value(), "--gid");
        } else if (name == "--groups") {
            o.groups = parse_groups(value());
        } else if (name == "--caps") {
            o.caps = parse_caps(value());
        } else if (name == "--abi") {
            const std::string_view v = value();
            if (!is_abi_name(v))
                bad("unknown ABI " + quoted(v) + " (" + abi_choices() + ")");
            o.abi = v;
        } else if (name == "--close") {
            flag();
            o.close = true;
        } else if (name == "--no-close") {
            flag();
            o.close = false;
        } else if (name == "--quiet" || name == "-q") {
            flag();
            o.quiet = true;
        } else if (name == "--strict") {
            flag();
            o.strict = true;
        } else if (name == "--what-if") {
            const std::string spec(value());
            parse_whatif(spec);  // a bad SPEC fails here, naming its term
            o.what_if.push_back(spec);
        } else if (name == "--why") {
            flag();
            o.why = true;
        } else if (name == "--needs") {
            flag();
            o.needs = true;
        } else if (name == "-o" || name == "--output") {
            o.output_file = std::string(value());
        } else if (name == "--compare-host") {
            flag();
            o.compare_host = true;
        } else if (name == "--socketpair") {
            flag();
            o.socketpair = true;
        } else if (name == "--format") {
            const std::string_view v = value();
            if (v == "tree")
                o.format = output_format::tree;
            else if (v == "json" || v == "jsonl") {
                o.format = output_format::json;
                o.json_lines = v == "jsonl";
            }
            else if (v == "dot")
                o.format = output_format::dot;
            else
                bad("unknown format " + quoted(v) + " (tree, json, jsonl or dot)");
        } else if (name == "--ping-group") {
            const auto [low, high] = parse_ping_range(value(), "--ping-group");
            o.ping_low = low;
            o.ping_high = high;
        } else if (name == "--rlimit-nofile") {
            o.rlimit_nofile = parse_unsigned(value(), "--rlimit-nofile", sm::sysctl_nr_open_default);
        } else if (name == "--inject") {
            const std::string_view v = value();
            if (v == "list") {
                std::fputs(sm::fault::describe_points(fault_points_kernel::faults_type::points()).c_str(), stdout);
                std::exit(0);
            }
            const std::size_t colon = v.find(':');
            const std::string_view point = v.substr(0, colon);
            const sm::fault_point_info* p = fault_points_kernel::faults_type::find(point);
            if (!p)
                bad("unknown fault point " + quoted(point) + " (--inject list names them)");
            o.inject = p;
            if (colon != std::string_view::npos)
                o.inject_nth = parse_unsigned(v.substr(colon + 1), "--inject", 1000000);
            if (o.inject_nth == 0)
                bad("--inject " + std::string(point) + ":0: N counts from 1");
        } else if (name == "--fill-fds") {
            o.fill_fds = static_cast<unsigned>(parse_unsigned(value(), "--fill-fds", max_fill));
        } else {
            std::string msg = "unknown option " + quoted(name);
            if (!o.positional.empty())
                msg += "; to trace a program, put it after '--': sockmodel-trace [options] -- " + o.positional[0] +
                       " " + std::string(arg) + " ...";
            bad(msg);
        }
    }
    if (o.inject && o.compare_host)
        bad("--inject cannot be compared with the host: the running kernel injects no fault");
    if (o.program_mode) {
        if (o.program.empty())
            bad("no program after '--' (usage: sockmodel-trace [options] -- PROGRAM [ARGS...])");
        if (!o.positional.empty())
            bad("FAMILY TYPE PROTOCOL and a program after '--' cannot be combined");
        if (o.format == output_format::dot)
            bad("--format dot cannot be used with a program (tree or json)");
        if (o.inject)
            bad("--inject cannot be used with a program: its calls run on the real kernel too");
        if (o.socketpair)
            bad("--socketpair cannot be used with a program: its socketpair() calls are traced anyway");
        if (o.compare_host)
            bad("--compare-host cannot be used with a program: its calls are compared with the kernel anyway");
        if (!is_host_abi(o.abi))
            bad("--abi " + o.abi + " cannot be used with a program: it runs on this machine's ABI");
        if (o.as != "root" || o.uid || o.gid || o.groups || o.caps || o.rlimit_nofile || o.fill_fds ||
            o.close || o.ping_low != 1 || o.ping_high != 0)
            bad("--as/--uid/--gid/--groups/--caps/--rlimit-nofile/--fill-fds/--close/--ping-group cannot be "
                "used with a program: the model takes them from the traced task");
        return o;
    }
    if (o.quiet || o.strict || o.output_file || !o.what_if.empty() || o.why || o.needs)
        bad("--quiet, --strict, -o, --what-if, --why and --needs are for tracing a program (-- PROGRAM)");
    if (!o.positional.empty() && o.positional.size() != 3)
        bad("expected FAMILY TYPE PROTOCOL (3 arguments), got " + std::to_string(o.positional.size()));
    return o;
}

sm::cred options::credentials() const
{
    sm::cred c = as == "root" ? sm::cred::root() : sm::cred::user(65534, 65534);
    if (uid)
        c.uid = c.euid = c.suid = c.fsuid = *uid;
    if (gid)
        c.gid = c.egid = c.sgid = c.fsgid = *gid;
    if (groups)
        c.group_info.assign(groups->begin(), groups->end());
    if (caps)
        c.cap_effective = *caps;
    return c;
}

}  // namespace sockmodel_trace
