// sockmodel-trace: run socket() (and optionally close()) through a traced
// model kernel and print the call tree, JSON Lines or a Graphviz graph; with
// --compare-host, also make the same call on the running kernel and compare.
//
//     sockmodel-trace                                   # socket(AF_INET, SOCK_STREAM, 0) + close
//     sockmodel-trace AF_INET SOCK_STREAM IPPROTO_UDP   # EPROTONOSUPPORT
//     sockmodel-trace --as user --compare-host AF_INET SOCK_RAW IPPROTO_ICMP
#include <sockmodel/arch/host.hpp>
#include <sockmodel/config.hpp>
#include <sockmodel/kernel.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/render.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sm = sockmodel;

namespace {

constexpr const char* prog = "sockmodel-trace";

// Bad input: one line on stderr, exit status 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void bad(const std::string& msg) { throw usage_error(msg); }

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// ---------------------------------------------------------------------------
// Help

constexpr const char* help_text = R"(usage: sockmodel-trace [options] [FAMILY TYPE PROTOCOL]

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
  PROTOCOL  IPPROTO_* names (IPPROTO_TCP, IPPROTO_ICMP, ...), htons(ETH_P_ALL)
            or htons(N), or a number
  Numbers are C literals: decimal, 0x hex, 0 octal, optionally negative.

Options
  --as root|user        credentials: root (uid 0, every capability; the default)
                        or user (uid/gid 65534, no groups, no capabilities)
  --uid N, --gid N      set every uid (gid) of the chosen credentials
  --groups A,B,...      supplementary groups ('' or none: no groups)
  --caps none|all|LIST  effective capabilities, LIST like net_raw,net_admin
  --abi NAME            generic, mips, alpha, parisc, sparc or host (the
                        default; the ABI of this machine)
  --close, --no-close   also trace close() of the new fd (default: on without
                        positional arguments, off with them)
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
                        capset), and reports through a pipe. fd numbers are
                        compared only when the host process has exactly fds
                        0, 1 and 2 open; otherwise only success/errno.
  -h, --help            this text

Exit status: 0 done, 1 the host disagreed with the model, 2 bad input.

Examples
  sockmodel-trace
  sockmodel-trace AF_INET SOCK_STREAM IPPROTO_UDP
  sockmodel-trace AF_UNIX SOCK_RAW 0
  sockmodel-trace --as user AF_INET SOCK_RAW IPPROTO_ICMP
  sockmodel-trace --as user --ping-group 65534-65534 AF_INET SOCK_DGRAM IPPROTO_ICMP
  sockmodel-trace --rlimit-nofile 4 --fill-fds 1 AF_INET SOCK_STREAM 0
  sockmodel-trace --abi mips AF_INET 'SOCK_DGRAM|SOCK_NONBLOCK' 0
  sockmodel-trace --format dot | dot -Tsvg -o trace.svg
  sockmodel-trace --compare-host --as user AF_INET SOCK_DGRAM IPPROTO_ICMP
)";

// ---------------------------------------------------------------------------
// Numbers and names

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

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

unsigned long parse_unsigned(std::string_view s, std::string_view what, unsigned long max)
{
    const auto v = parse_ll(s);
    if (!v || *v < 0 || static_cast<unsigned long long>(*v) > max)
        bad("bad " + std::string(what) + " value " + quoted(s));
    return static_cast<unsigned long>(*v);
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

template <class A>
int parse_type(std::string_view s)
{
    // O_CLOEXEC and O_NONBLOCK are accepted too: on alpha the latter shows its quirk.
    static constexpr sm::trace::name_value open_flags[] = {{"O_CLOEXEC", A::o_cloexec}, {"O_NONBLOCK", A::o_nonblock}};
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
            std::optional<int> value = sm::trace::value_of(sm::trace::sock_type_names<A>, up);
            if (!value)
                value = sm::trace::value_of(sm::trace::sock_flag_names<A>, up);
            if (!value)
                value = sm::trace::value_of(open_flags, up);
            if (!value)
                bad("unknown type " + quoted(part) + " for ABI " + std::string(A::name));
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
        if (const std::optional<int> value = sm::trace::value_of(sm::trace::ipproto_names, up))
            return *value;
        bad("unknown protocol " + quoted(s));
    }
    if (up.starts_with("HTONS(") && up.ends_with(")")) {
        const std::string_view inner = trim(std::string_view(up).substr(6, up.size() - 7));
        static constexpr std::pair<std::string_view, unsigned> ethp[] = {
            {"ETH_P_ALL", 0x0003}, {"ETH_P_IP", 0x0800}, {"ETH_P_ARP", 0x0806},
            {"ETH_P_IPV6", 0x86DD}, {"ETH_P_8021Q", 0x8100}};
        unsigned v = 0;
        bool found = false;
        for (const auto& [name, value] : ethp)
            if (inner == name) {
                v = value;
                found = true;
            }
        if (!found) {
            if (!looks_numeric(inner))
                bad("unknown ethertype " + quoted(inner) + " in protocol " + quoted(s));
            v = static_cast<unsigned>(parse_unsigned(inner, "htons()", 0xffff));
        }
        const std::uint16_t h = static_cast<std::uint16_t>(v);
        return static_cast<int>(htons(h));
    }
    bad("unknown protocol " + quoted(s));
}

sm::capability parse_cap_name(std::string_view s)
{
    static constexpr std::pair<std::string_view, sm::capability> caps[] = {
        {"net_bind_service", sm::capability::net_bind_service},
        {"net_broadcast", sm::capability::net_broadcast},
        {"net_admin", sm::capability::net_admin},
        {"net_raw", sm::capability::net_raw},
        {"sys_module", sm::capability::sys_module},
        {"sys_admin", sm::capability::sys_admin},
        {"sys_resource", sm::capability::sys_resource}};
    std::string l = lower(trim(s));
    if (l.starts_with("cap_"))
        l = l.substr(4);
    for (const auto& [name, cap] : caps)
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

// ---------------------------------------------------------------------------
// Options

enum class output_format { tree, json, dot };

struct options {
    std::string abi = "host";
    std::string as = "root";
    std::optional<sm::kuid_t> uid;
    std::optional<sm::kgid_t> gid;
    std::optional<std::vector<sm::kgid_t>> groups;
    std::optional<sm::kernel_cap_t> caps;
    std::optional<bool> close;
    bool compare_host = false;
    output_format format = output_format::tree;
    sm::kgid_t ping_low = 1, ping_high = 0;
    std::optional<unsigned long> rlimit_nofile;
    unsigned fill_fds = 0;
    std::vector<std::string> positional;

    bool do_close() const { return close.value_or(positional.empty()); }

    sm::cred credentials() const
    {
        sm::cred c = as == "user" ? sm::cred::user(65534, 65534) : sm::cred::root();
        if (uid)
            c.uid = c.euid = c.suid = c.fsuid = *uid;
        if (gid)
            c.gid = c.egid = c.sgid = c.fsgid = *gid;
        if (groups)
            c.group_info = *groups;
        if (caps)
            c.cap_effective = *caps;
        return c;
    }
};

// Upper bound for --fill-fds: the model's sysctl_nr_open, less the stdio three.
constexpr unsigned max_fill = sm::sysctl_nr_open_default - 4;

options parse_options(int argc, char** argv)
{
    options o;
    bool only_positional = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool is_option = !only_positional && arg.size() > 1 && arg[0] == '-' &&
                               !std::isdigit(static_cast<unsigned char>(arg[1]));
        if (!is_option) {
            o.positional.emplace_back(arg);
            continue;
        }
        if (arg == "--") {
            only_positional = true;
            continue;
        }
        if (arg == "-h" || arg == "--help") {
            std::fputs(help_text, stdout);
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
            if (i + 1 >= argc)
                bad("option " + quoted(name) + " needs a value");
            return argv[++i];
        };
        if (name == "--as") {
            const std::string_view v = value();
            if (v != "root" && v != "user")
                bad("bad --as value " + quoted(v) + " (root or user)");
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
            if (v != "host" && v != "generic" && v != "mips" && v != "alpha" && v != "parisc" && v != "sparc")
                bad("unknown ABI " + quoted(v) + " (generic, mips, alpha, parisc, sparc or host)");
            o.abi = v;
        } else if (name == "--close") {
            flag();
            o.close = true;
        } else if (name == "--no-close") {
            flag();
            o.close = false;
        } else if (name == "--compare-host") {
            flag();
            o.compare_host = true;
        } else if (name == "--format") {
            const std::string_view v = value();
            if (v == "tree")
                o.format = output_format::tree;
            else if (v == "json" || v == "jsonl")
                o.format = output_format::json;
            else if (v == "dot")
                o.format = output_format::dot;
            else
                bad("unknown format " + quoted(v) + " (tree, json or dot)");
        } else if (name == "--ping-group") {
            const std::string_view v = value();
            std::size_t sep = v.find_first_of("-, \t", 1);  // from 1: "-" can't start LOW anyway
            if (sep == std::string_view::npos)
                bad("bad --ping-group value " + quoted(v) + " (LOW-HIGH)");
            const sm::kgid_t low = parse_id(v.substr(0, sep), "--ping-group");
            const sm::kgid_t high = parse_id(v.substr(sep + 1), "--ping-group");
            // ipv4_ping_group_range: a reversed range is stored as the empty "1 0".
            if (high < low) {
                o.ping_low = 1;
                o.ping_high = 0;
            } else {
                o.ping_low = low;
                o.ping_high = high;
            }
        } else if (name == "--rlimit-nofile") {
            o.rlimit_nofile = parse_unsigned(value(), "--rlimit-nofile", sm::sysctl_nr_open_default);
        } else if (name == "--fill-fds") {
            o.fill_fds = static_cast<unsigned>(parse_unsigned(value(), "--fill-fds", max_fill));
        } else {
            bad("unknown option " + quoted(name));
        }
    }
    if (!o.positional.empty() && o.positional.size() != 3)
        bad("expected FAMILY TYPE PROTOCOL (3 arguments), got " + std::to_string(o.positional.size()));
    return o;
}

// ---------------------------------------------------------------------------
// The host side of --compare-host

struct host_result {
    int setup_errno = 0;       // non-zero: the child could not mirror the model
    char setup_step[96] = {};  // which step failed
    int ret = 0;               // socket()'s fd, or -errno
    int exact_stdio = 0;       // the child had exactly fds 0, 1, 2 when it called socket()
    int close_ret = 1;         // close()'s result, 1 when not called
};

struct host_request {
    int family, type, protocol;
    sm::cred cred;
    unsigned fill_fds;
    unsigned long rlimit_cur;
    sm::kgid_t ping_low, ping_high;
    bool do_close;
};

// capget/capset's structures (linux/capability.h, whose CAP_* macros would
// rewrite sockmodel::capability's enumerators).
struct user_cap_header {
    std::uint32_t version;
    int pid;
};
struct user_cap_data {
    std::uint32_t effective, permitted, inheritable;
};
constexpr std::uint32_t linux_capability_version_3 = 0x20080522;

[[noreturn]] void child_fail(int wfd, host_result& r, const char* step)
{
    r.setup_errno = errno ? errno : EINVAL;
    std::snprintf(r.setup_step, sizeof r.setup_step, "%s", step);
    if (write(wfd, &r, sizeof r) < 0) {
        // Nothing left to report through.
    }
    _exit(3);
}

// What the child does: become a process shaped like the model task, then call.
[[noreturn]] void host_child(int wfd, const host_request& q)
{
    host_result r;

    // A fresh network namespace: the sysctls a new netns starts with, which is
    // what the model's init_net holds, and a ping_group_range of our own.
    if (unshare(CLONE_NEWNET) != 0)
        child_fail(wfd, r, "unshare(CLONE_NEWNET)");
    {
        const int pfd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
        if (pfd < 0)
            child_fail(wfd, r, "open ping_group_range");
        const std::string range = std::to_string(q.ping_low) + " " + std::to_string(q.ping_high) + "\n";
        if (write(pfd, range.data(), range.size()) != static_cast<ssize_t>(range.size()))
            child_fail(wfd, r, "write ping_group_range");
        ::close(pfd);
    }

    // Room for the setup, then the report pipe above every fd the run can reach.
    const int pipe_fd = static_cast<int>(3 + q.fill_fds + 8);
    struct ::rlimit lim {};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        child_fail(wfd, r, "getrlimit");
    const rlim_t need = static_cast<rlim_t>(pipe_fd) + 1;
    struct ::rlimit setup_lim = lim;
    setup_lim.rlim_cur = std::max<rlim_t>(need, q.rlimit_cur);
    setup_lim.rlim_max = std::max(lim.rlim_max, setup_lim.rlim_cur);
    if (setrlimit(RLIMIT_NOFILE, &setup_lim) != 0)
        child_fail(wfd, r, "setrlimit (setup)");
    const int high = fcntl(wfd, F_DUPFD_CLOEXEC, pipe_fd);
    if (high != pipe_fd)
        child_fail(wfd, r, "fcntl(F_DUPFD_CLOEXEC)");
    wfd = high;

    // Only 0, 1, 2 stay: descriptors inherited from whoever ran us would
    // shift the fd numbers and the EMFILE point.
    if (syscall(SYS_close_range, 3U, static_cast<unsigned>(pipe_fd - 1), 0U) != 0)
        child_fail(wfd, r, "close_range");
    if (syscall(SYS_close_range, static_cast<unsigned>(pipe_fd + 1), ~0U, 0U) != 0)
        child_fail(wfd, r, "close_range");
    r.exact_stdio = fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0;

    for (unsigned i = 0; i < q.fill_fds; ++i)
        if (::socket(AF_UNIX, SOCK_STREAM, 0) < 0)
            child_fail(wfd, r, "socket (--fill-fds)");

    struct ::rlimit run_lim = setup_lim;
    run_lim.rlim_cur = q.rlimit_cur;
    if (setrlimit(RLIMIT_NOFILE, &run_lim) != 0)
        child_fail(wfd, r, "setrlimit");

    // Credentials: groups, gids, then uids (keeping capabilities across the
    // uid change only when some are wanted), then the exact effective set.
    const sm::cred& c = q.cred;
    const std::vector<gid_t> groups(c.group_info.begin(), c.group_info.end());
    if (setgroups(groups.size(), groups.data()) != 0)
        child_fail(wfd, r, "setgroups");
    if (setresgid(c.gid, c.egid, c.sgid) != 0)
        child_fail(wfd, r, "setresgid");
    const bool want_caps = c.cap_effective.val != 0;
    if (c.uid != 0 || c.euid != 0) {
        if (want_caps && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0)
            child_fail(wfd, r, "prctl(PR_SET_KEEPCAPS)");
        if (setresuid(c.uid, c.euid, c.suid) != 0)
            child_fail(wfd, r, "setresuid");
    }
    if (c.cap_effective != sm::kernel_cap_t::full() || c.euid != 0) {
        user_cap_header hdr{linux_capability_version_3, 0};
        user_cap_data data[2]{};
        if (syscall(SYS_capget, &hdr, data) != 0)
            child_fail(wfd, r, "capget");
        const std::uint64_t permitted = data[0].permitted | (std::uint64_t{data[1].permitted} << 32);
        // "all" means every capability this process may hold: a container or
        // bounding set may withhold some (here, often CAP_SYS_RESOURCE), and
        // none of those decide socket().
        const std::uint64_t want =
            c.cap_effective == sm::kernel_cap_t::full() ? permitted : c.cap_effective.val;
        if ((want & permitted) != want) {
            errno = EPERM;
            child_fail(wfd, r, "capset (a requested capability is not in the permitted set)");
        }
        data[0].effective = static_cast<std::uint32_t>(want);
        data[1].effective = static_cast<std::uint32_t>(want >> 32);
        data[0].inheritable = data[1].inheritable = 0;
        if (syscall(SYS_capset, &hdr, data) != 0)
            child_fail(wfd, r, "capset");
    }

    const int fd = ::socket(q.family, q.type, q.protocol);
    r.ret = fd >= 0 ? fd : -errno;
    if (fd >= 0 && q.do_close)
        r.close_ret = ::close(fd) == 0 ? 0 : -errno;
    if (write(wfd, &r, sizeof r) != static_cast<ssize_t>(sizeof r))
        _exit(4);
    _exit(0);
}

host_result call_host(const host_request& q)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        bad(std::string("--compare-host: pipe: ") + std::strerror(errno));
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0)
        bad(std::string("--compare-host: fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::close(p[0]);
        host_child(p[1], q);
    }
    ::close(p[1]);
    host_result r;
    std::size_t got = 0;
    auto* bytes = reinterpret_cast<char*>(&r);
    while (got < sizeof r) {
        const ssize_t n = read(p[0], bytes + got, sizeof r - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    ::close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != sizeof r)
        bad("--compare-host: the child exited without a report");
    if (r.setup_errno)
        bad(std::string("--compare-host: ") + r.setup_step + " failed: " + std::string(sm::errno_name(r.setup_errno)) +
            " (" + std::strerror(r.setup_errno) + ")");
    return r;
}

// ---------------------------------------------------------------------------
// The model run

template <class A>
struct traced_config : sm::default_config {
    using abi = A;
    using tracer = sm::trace::recorder;
};

// "3" or "-1 EPROTONOSUPPORT", as strace ends a line.
std::string strace_result(int ret)
{
    if (ret >= 0)
        return std::to_string(ret);
    std::string s = "-1 ";
    const std::string_view name = sm::errno_name(ret);
    s += name.empty() ? "E" + std::to_string(-ret) : std::string(name);
    return s;
}

// "fd 3" or "-93 EPROTONOSUPPORT" for the comparison line.
std::string compare_result(int ret)
{
    if (ret >= 0)
        return "fd " + std::to_string(ret);
    return std::to_string(ret) + " " + std::string(sm::errno_name(ret));
}

std::string json_result(std::string_view fn, const std::string& text, int ret)
{
    std::string out = "{\"event\":\"result\",\"depth\":0,\"fn\":" + sm::trace::detail::json_string(fn) +
                      ",\"text\":" + sm::trace::detail::json_string(text) + ",\"ret\":" + std::to_string(ret);
    if (ret < 0)
        out += ",\"errno\":" + sm::trace::detail::json_string(sm::errno_name(ret));
    return out + "}\n";
}

template <class A>
int run(const options& o)
{
    using K = sm::kernel<traced_config<A>>;

    int family = sm::af_inet, type = A::sock_stream, protocol = 0;
    if (!o.positional.empty()) {
        family = parse_family(o.positional[0]);
        type = parse_type<A>(o.positional[1]);
        protocol = parse_protocol(o.positional[2]);
    }

    const auto k = std::make_unique<K>();
    k->init_net.sysctl.ping_group_range.low = o.ping_low;
    k->init_net.sysctl.ping_group_range.high = o.ping_high;
    const sm::cred cred = o.credentials();
    sm::task_struct& t = k->spawn(cred);

    // Setup, untraced in effect (the recorder is cleared afterwards): fds
    // 0, 1, 2 as a shell leaves them, then --fill-fds more, under a limit
    // that lets them all open; then the limit the run asked for.
    const unsigned long final_cur = o.rlimit_nofile.value_or(t.rlimit_nofile.rlim_cur);
    t.rlimit_nofile.rlim_cur = std::max<unsigned long>(t.rlimit_nofile.rlim_cur, 3UL + o.fill_fds);
    t.rlimit_nofile.rlim_max = std::max(t.rlimit_nofile.rlim_max, t.rlimit_nofile.rlim_cur);
    for (unsigned i = 0; i < 3 + o.fill_fds; ++i) {
        const int fd = k->socket(t, sm::af_unix, A::sock_stream, 0);
        if (fd != static_cast<int>(i))
            bad("setup: model socket(AF_UNIX, SOCK_STREAM, 0) for fd " + std::to_string(i) + " returned " +
                strace_result(fd));
    }
    t.rlimit_nofile.rlim_cur = final_cur;
    t.rlimit_nofile.rlim_max = std::max(t.rlimit_nofile.rlim_max, final_cur);
    k->tracer.clear();

    const std::string call = "socket(" + sm::trace::decode_socket_args<A>(family, type, protocol) + ")";
    const int fd = k->socket(t, family, type, protocol);
    std::vector<sm::trace::event> events = std::move(k->tracer.events);
    std::vector<std::string> summary{call + " = " + strace_result(fd)};
    std::string json_tail = json_result("socket", summary.back(), fd);
    if (fd >= 0 && o.do_close()) {
        k->tracer.clear();
        const int rc = k->close(t, fd);
        events.insert(events.end(), std::make_move_iterator(k->tracer.events.begin()),
                      std::make_move_iterator(k->tracer.events.end()));
        summary.push_back("close(" + std::to_string(fd) + ") = " + strace_result(rc));
        json_tail += json_result("close", summary.back(), rc);
    }

    std::string out;
    switch (o.format) {
    case output_format::tree:
        out = sm::trace::render_tree(events);
        for (const std::string& line : summary)
            out += line + "\n";
        break;
    case output_format::json:
        out = sm::trace::render_jsonl(events) + json_tail;
        break;
    case output_format::dot:
        out = sm::trace::render_dot(events, summary);
        break;
    }
    std::fputs(out.c_str(), stdout);

    if (!o.compare_host)
        return 0;

    std::fflush(stdout);
    const host_result h = call_host({family, type, protocol, cred, o.fill_fds, final_cur, o.ping_low, o.ping_high,
                                     o.do_close()});
    const bool same_outcome = (h.ret >= 0) == (fd >= 0) && (fd >= 0 || h.ret == fd);
    const bool fd_checked = h.exact_stdio != 0;
    const bool agree = same_outcome && (!fd_checked || fd < 0 || h.ret == fd);
    std::string line = "host: " + compare_result(h.ret) + "; model: " + compare_result(fd) + "; " +
                       (agree ? "agree" : "DISAGREE");
    if (!fd_checked && fd >= 0 && h.ret >= 0)
        line += " (fd numbers not compared: the host process does not have exactly fds 0,1,2 open)";
    if (o.format == output_format::json) {
        std::string j = "{\"event\":\"compare\",\"depth\":0,\"fn\":\"socket\",\"text\":" +
                        sm::trace::detail::json_string(line) + ",\"host\":" + std::to_string(h.ret) +
                        ",\"model\":" + std::to_string(fd) + ",\"agree\":" + (agree ? "true" : "false") + "}\n";
        std::fputs(j.c_str(), stdout);
    } else if (o.format == output_format::dot) {
        std::fprintf(stderr, "%s\n", line.c_str());  // stdout stays pure DOT
    } else {
        std::printf("%s\n", line.c_str());
    }
    return agree ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    try {
        const options o = parse_options(argc, argv);
        if (o.compare_host) {
            const bool host_abi = o.abi == "host" || o.abi == sm::arch::host::name;
            if (!host_abi)
                bad("--compare-host needs the host ABI (" + std::string(sm::arch::host::name) +
                    "); the running kernel cannot take --abi " + o.abi + " arguments");
            if (geteuid() != 0)
                bad("--compare-host needs root (to enter a new network namespace and switch credentials)");
        }
        if (o.abi == "generic")
            return run<sm::arch::generic>(o);
        if (o.abi == "mips")
            return run<sm::arch::mips>(o);
        if (o.abi == "alpha")
            return run<sm::arch::alpha>(o);
        if (o.abi == "parisc")
            return run<sm::arch::parisc>(o);
        if (o.abi == "sparc")
            return run<sm::arch::sparc>(o);
        return run<sm::arch::host>(o);
    } catch (const usage_error& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s: %s\n", prog, e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s: internal error: %s\n", prog, e.what());
        return 3;
    }
}
