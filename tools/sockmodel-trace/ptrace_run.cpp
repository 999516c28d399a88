// -- PROGRAM: the tracer. See ptrace_run.hpp.
//
// Where it stops. The program runs under a seccomp filter (installed by the
// child before exec) that returns SECCOMP_RET_TRACE for socket, socketpair,
// close, close_range and unshare and lets every other system call run
// without a stop; fork/vfork/clone/exec are seen as ptrace events. Where the
// filter cannot be installed the tool falls back to stopping at every call
// (PTRACE_SYSCALL). A socket()/socketpair() entry is resumed to its exit stop;
// the other calls only update the view at entry.
//
// The descriptor table, kept incrementally. Each traced table (shared by the
// threads of a process, told apart at fork/clone by kcmp(KCMP_FILES)) has a
// set of fds known to be open and a model kernel whose one task has exactly
// those open (table_model in model_run.hpp). The set only ever lacks fds,
// never holds a closed one: every way a table loses an fd is seen (close,
// close_range, exec, unshare(CLONE_FILES) gives a new table) while fds made
// by calls the tool does not stop at (open, pipe, accept, dup, ...) are found
// when they matter: at a socket() entry the lowest fd not in the set is
// looked up in /proc/PID/fd (one lookup, O(1)) and added if open, until a
// free one is found. So a call costs the same with 3 or 3000 open fds; the
// table is read whole from /proc/PID/fd only after an exec or for a table
// the tool has not seen before.
//
// The rest of the task, read at each socket()/socketpair() entry (the task
// is stopped, so what /proc shows is what the kernel will see):
//   credentials    /proc/PID/status Uid, Gid, Groups and CapEff, as seen from
//                  the tool's user namespace
//   RLIMIT_NOFILE  prlimit(PID); /proc/PID/limits when prlimit is refused
//   namespaces     /proc/PID/ns/user and net against the tool's own. The
//                  tool's user namespace is init_user_ns only when its inode
//                  is PROC_USER_INIT_INO; otherwise (a rootless container)
//                  the model puts the tool in a child of init_user_ns, and
//                  a network namespace whose owner the tool cannot see
//                  (NS_GET_USERNS: EPERM) is owned by init_user_ns or a
//                  namespace above the tool's, where no task the tool traces
//                  holds a capability. The task's user namespace is followed
//                  up with NS_GET_PARENT to the tool's (any depth up to 32).
//   sysctls        ping_group_range, mptcp.enabled, ipv6.bindv6only and
//                  core.[rw]mem_default of the task's network namespace:
//                  /proc/sys/net shows the netns of the thread that *opens*
//                  the file, so the files are opened once per netns (by a
//                  helper thread that setns()es into it: CAP_SYS_ADMIN) and
//                  pread at each call.
//   unmapped ids   inside a user namespace, ids that are not mapped read as
//                  the overflow gid (65534): when ping_group_range or the
//                  task's gids are unmapped, the tool cannot know whether an
//                  ICMP datagram socket passes ping_init_sock; the model is
//                  asked with the range full and empty, and a call whose
//                  answer depends on it is "not modelled" with that reason.
// At the exit stop: the return value; socketpair's sv[] by PTRACE_PEEKDATA;
// for each new fd a duplicate through pidfd_open(Tgid) + pidfd_getfd(2) gives
// F_GETFL, SO_TYPE, SO_PROTOCOL and SO_DOMAIN, and F_GETFD comes from the
// "flags:" line of /proc/PID/fdinfo/FD.
//
// Threads. When another thread changes a shared table between a call's entry
// and exit, the kernel's fd number may differ from the model's: such a call
// is a "race" (with the evidence: which thread made which call, or which fd
// appeared) when the two outcomes differ in fd numbers only and the kernel's
// numbers are ones the model would have given on the table as it was at the
// exit (below RLIMIT_NOFILE); anything else stays a disagreement.
//
// Signals. SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the tool are passed to
// the program (unless the program has it already: sent to the process group,
// or by a terminal); the tool ends when the program ends, prints its summary
// and exits with the program's status (killed by a signal: the tool kills
// itself with the same signal, as a shell expects).
#include "ptrace_run.hpp"

#include "model_run.hpp"
#include "models.hpp"
#include "output.hpp"
#include "whatif.hpp"
#include "whatif_abi.hpp"

#include <sockmodel/arch/host.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/render.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/nsfs.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sockmodel_trace {

namespace {

namespace sm = sockmodel;
using host_abi = sm::arch::host;

constexpr unsigned long long proc_user_init_ino = 0xEFFFFFFDU;  // PROC_USER_INIT_INO
constexpr unsigned long long proc_net_init_ino = 0xEFFFFFF9U;   // init_net's inode on Linux 6.x

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
constexpr unsigned long clone_files = 0x00000400;

// `s` += `sep` (unless s is empty) + each of `parts`, by append: GCC 12's
// -O3 warns (-Wrestrict, falsely) on operator+ of a literal and a temporary.
template <class... P>
void append_item(std::string& s, const char* sep, const P&... parts)
{
    if (!s.empty())
        s += sep;
    (s.append(parts), ...);
}

// ---------------------------------------------------------------------------
// Reading the task

// A whole (small) file with open/read: /proc files, no stream overhead.
bool read_small(const char* path, std::string& out)
{
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    out.clear();
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return true;
}

std::string proc_path(int pid, const char* rest)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "/proc/%d/%s", pid, rest);
    return buf;
}

struct status_info {
    sm::cred cred;
    int tgid = 0;
};

// The value after "Key:\t" in /proc/PID/status text, or npos.
std::size_t field(const std::string& text, const char* key)
{
    const std::size_t at = text.find(key);
    return at == std::string::npos ? at : at + std::strlen(key);
}

bool read_status(int pid, status_info& s, std::string& why)
{
    std::string text;
    if (!read_small(proc_path(pid, "status").c_str(), text)) {
        why = "cannot read " + proc_path(pid, "status");
        return false;
    }
    const std::size_t uid = field(text, "\nUid:"), gid = field(text, "\nGid:"), groups = field(text, "\nGroups:"),
                      capeff = field(text, "\nCapEff:"), tgid = field(text, "\nTgid:");
    if (uid == std::string::npos || gid == std::string::npos || groups == std::string::npos ||
        capeff == std::string::npos || tgid == std::string::npos) {
        why = proc_path(pid, "status") + " lacks Uid/Gid/Groups/CapEff/Tgid";
        return false;
    }
    const char* p = text.c_str();
    char* end = nullptr;
    auto num = [&](std::size_t at) { return static_cast<unsigned>(std::strtoul(p + at, &end, 10)); };
    s.cred.uid = num(uid);
    s.cred.euid = static_cast<unsigned>(std::strtoul(end, &end, 10));
    s.cred.suid = static_cast<unsigned>(std::strtoul(end, &end, 10));
    s.cred.fsuid = static_cast<unsigned>(std::strtoul(end, &end, 10));
    s.cred.gid = num(gid);
    s.cred.egid = static_cast<unsigned>(std::strtoul(end, &end, 10));
    s.cred.sgid = static_cast<unsigned>(std::strtoul(end, &end, 10));
    s.cred.fsgid = static_cast<unsigned>(std::strtoul(end, &end, 10));
    const char* g = p + groups;
    for (;;) {
        while (*g == ' ' || *g == '\t')
            ++g;
        if (*g < '0' || *g > '9')
            break;
        s.cred.group_info.push_back(static_cast<unsigned>(std::strtoul(g, &end, 10)));
        g = end;
    }
    s.cred.cap_effective.val = std::strtoull(p + capeff, nullptr, 16);
    s.tgid = static_cast<int>(std::strtol(p + tgid, nullptr, 10));
    std::sort(s.cred.group_info.begin(), s.cred.group_info.end());  // groups_sort
    return true;
}

bool read_open_fds(int pid, std::vector<int>& fds, std::string& why)
{
    const std::string path = proc_path(pid, "fd");
    DIR* d = opendir(path.c_str());
    if (!d) {
        why = "cannot list " + path + ": " + std::strerror(errno);
        return false;
    }
    while (const dirent* e = readdir(d))
        if (e->d_name[0] != '.')
            fds.push_back(std::atoi(e->d_name));
    closedir(d);
    std::sort(fds.begin(), fds.end());
    return true;
}

// May task `pid` still be in (or on its way into) close()? /proc/PID/syscall
// says "3 ..." while it is in close, "running" while it runs (maybe not yet
// in the kernel after its seccomp stop): only another call, or its end,
// says no.
bool in_close(int pid)
{
    std::string text;
    if (!read_small(proc_path(pid, "syscall").c_str(), text))
        return false;
    return text.starts_with("running") || std::strtol(text.c_str(), nullptr, 10) == SYS_close;
}

// Is fd `fd` open in task `pid` now? One lookup in its table.
bool fd_open_in(int pid, int fd)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "/proc/%d/fd/%d", pid, fd);
    struct stat st {};
    return ::fstatat(AT_FDCWD, buf, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

unsigned long parse_limit(const std::string& s)
{
    return s == "unlimited" ? RLIM_INFINITY : std::stoul(s);
}

bool read_nofile(int pid, unsigned long& cur, unsigned long& max, std::string& why)
{
    rlimit r{};
    if (::prlimit(pid, RLIMIT_NOFILE, nullptr, &r) == 0) {
        cur = r.rlim_cur;
        max = r.rlim_max;
        return true;
    }
    std::string text;
    const bool ok = read_small(proc_path(pid, "limits").c_str(), text);
    std::istringstream in(text);
    std::string line;
    while (ok && std::getline(in, line))
        if (line.starts_with("Max open files")) {
            std::istringstream l(line.substr(std::strlen("Max open files")));
            std::string soft, hard;
            l >> soft >> hard;
            cur = parse_limit(soft);
            max = parse_limit(hard);
            return true;
        }
    why = "cannot read RLIMIT_NOFILE of " + std::to_string(pid);
    return false;
}

unsigned long long ns_ino(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

unsigned long long fd_ino(int fd)
{
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

// The owner uid of the user namespace open on `fd` (NS_GET_OWNER_UID).
sm::kuid_t owner_uid(int fd)
{
    uid_t u = 65534;
    if (::ioctl(fd, NS_GET_OWNER_UID, &u) != 0)
        u = 65534;
    return static_cast<sm::kuid_t>(u);
}

// The net.* sysctls the model's socket path reads, from files opened once in
// one network namespace and read again at each call.
struct net_sysctl_files {
    int ns_fd = -1;  // keeps the namespace (and so its inode number) alive
    int ping = -1, mptcp = -1, v6only = -1, rmem = -1, wmem = -1;
    std::string error;
};

int read_int_at(int fd, bool& ok, std::string* second = nullptr)
{
    char buf[64];
    const ssize_t n = fd < 0 ? -1 : ::pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) {
        ok = false;
        return 0;
    }
    buf[n] = '\0';
    char* end = nullptr;
    const long v = std::strtol(buf, &end, 10);
    if (second)
        *second = end;
    return static_cast<int>(v);
}

void open_net_sysctls(net_sysctl_files& f)
{
    auto o = [](const char* p) { return ::open(p, O_RDONLY | O_CLOEXEC); };
    f.ping = o("/proc/sys/net/ipv4/ping_group_range");
    f.mptcp = o("/proc/sys/net/mptcp/enabled");
    f.v6only = o("/proc/sys/net/ipv6/bindv6only");
    f.rmem = o("/proc/sys/net/core/rmem_default");
    f.wmem = o("/proc/sys/net/core/wmem_default");
    if (f.ping < 0 || f.mptcp < 0 || f.v6only < 0 || f.rmem < 0 || f.wmem < 0)
        f.error = "cannot open the net sysctls (ping_group_range, mptcp.enabled, ...)";
}

// Without CAP_SYS_ADMIN in the tool's own user namespace, setns into a
// network namespace is refused; but the creator of a user namespace (its
// owner's euid) holds every capability in it, so a forked helper can enter
// the netns's owning user namespace, then the netns, open the files there
// and hand them back (SCM_RIGHTS). Read through those files, the values are
// the netns's, mapped into the tool's user namespace as the tool reads them.
bool open_net_sysctls_via_owner(int net_fd, net_sysctl_files& f)
{
    const int owner = ::ioctl(net_fd, NS_GET_USERNS);
    if (owner < 0)
        return false;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) {
        ::close(owner);
        return false;
    }
    std::fflush(nullptr);
    const pid_t helper = ::fork();
    if (helper == 0) {
        ::close(sv[0]);
        if (::setns(owner, CLONE_NEWUSER) != 0 || ::setns(net_fd, CLONE_NEWNET) != 0)
            ::_exit(1);
        net_sysctl_files g;
        open_net_sysctls(g);
        if (!g.error.empty())
            ::_exit(1);
        int fds[5] = {g.ping, g.mptcp, g.v6only, g.rmem, g.wmem};
        char byte = 0;
        iovec iov{&byte, 1};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)] = {};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof fds);
        std::memcpy(CMSG_DATA(cm), fds, sizeof fds);
        ::_exit(::sendmsg(sv[1], &msg, 0) == 1 ? 0 : 1);
    }
    ::close(sv[1]);
    ::close(owner);
    bool ok = false;
    if (helper > 0) {
        int fds[5];
        char byte = 0;
        iovec iov{&byte, 1};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)] = {};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        int status = 0;
        ::waitpid(helper, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && ::recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC) == 1) {
            const cmsghdr* cm = CMSG_FIRSTHDR(&msg);
            if (cm && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof fds)) {
                std::memcpy(fds, CMSG_DATA(cm), sizeof fds);
                f.ping = fds[0];
                f.mptcp = fds[1];
                f.v6only = fds[2];
                f.rmem = fds[3];
                f.wmem = fds[4];
                f.error.clear();
                ok = true;
            }
        }
    }
    ::close(sv[0]);
    return ok;
}

bool read_net_sysctls(const net_sysctl_files& f, sm::net_sysctl& s, std::string& why)
{
    if (!f.error.empty()) {
        why = f.error;
        return false;
    }
    bool ok = true;
    std::string rest;
    const long low = static_cast<unsigned>(read_int_at(f.ping, ok, &rest));
    s.ping_group_range.low = static_cast<sm::kgid_t>(low);
    s.ping_group_range.high = static_cast<sm::kgid_t>(std::strtoul(rest.c_str(), nullptr, 10));
    s.mptcp_enabled = read_int_at(f.mptcp, ok) != 0;
    s.bindv6only = read_int_at(f.v6only, ok) != 0;
    s.rmem_default = read_int_at(f.rmem, ok);
    s.wmem_default = read_int_at(f.wmem, ok);
    if (!ok)
        why = "cannot read the net sysctls (ping_group_range, mptcp.enabled, ...)";
    return ok;
}

// F_GETFD/F_GETFL/SO_* of fd `fd` of the stopped task (`pidfd`: its process).
bool read_kernel_fd(int pid, int pidfd, int fd, fd_attrs& a, std::string& why)
{
    a.fd = fd;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", pid, fd);
    std::string info;
    const bool ok = read_small(path, info);
    const std::size_t at = info.find("flags:");
    if (!ok || at == std::string::npos) {
        why = std::string("cannot read ") + path;
        return false;
    }
    const unsigned long flags = std::strtoul(info.c_str() + at + 6, nullptr, 8);
    a.fd_flags = (flags & O_CLOEXEC) ? FD_CLOEXEC : 0;

    if (pidfd < 0) {
        why = std::string("pidfd_open: ") + std::strerror(errno);
        return false;
    }
    const int dup = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, fd, 0));
    const int dup_errno = errno;
    if (dup < 0) {
        why = std::string("pidfd_getfd: ") + std::strerror(dup_errno);
        return false;
    }
    a.fl_flags = ::fcntl(dup, F_GETFL);
    socklen_t len = sizeof(int);
    const bool got = ::getsockopt(dup, SOL_SOCKET, SO_TYPE, &a.so_type, &len) == 0 &&
                     ::getsockopt(dup, SOL_SOCKET, SO_PROTOCOL, &a.so_protocol, &len) == 0 &&
                     ::getsockopt(dup, SOL_SOCKET, SO_DOMAIN, &a.so_domain, &len) == 0;
    if (!got)
        why = std::string("getsockopt on the duplicate: ") + std::strerror(errno);
    ::close(dup);
    return got;
}

// The tool's user namespace's gid_map: (inside, outside, count) extents.
struct id_map {
    struct extent {
        unsigned long long inside, outside, count;
    };
    std::vector<extent> extents;
    bool mapped(unsigned long long id) const
    {
        return std::any_of(extents.begin(), extents.end(),
                           [&](const extent& e) { return id >= e.inside && id - e.inside < e.count; });
    }
};

id_map read_gid_map()
{
    id_map m;
    std::string text;
    if (!read_small("/proc/self/gid_map", text))
        return m;
    std::istringstream in(text);
    unsigned long long a = 0, b = 0, c = 0;
    while (in >> a >> b >> c)
        m.extents.push_back({a, b, c});
    return m;
}

// A gid as the parent user namespace sees it: one value (mapped) or, for one
// that read as the overflow gid and is not mapped, any value outside the
// map's outside ranges (as closed intervals).
using gid_set = std::vector<std::pair<unsigned long long, unsigned long long>>;

gid_set parent_gids(const id_map& m, unsigned long long id, bool unmapped)
{
    constexpr unsigned long long max_gid = 0xfffffffeULL;  // (gid_t)-1 is never a gid
    if (!unmapped) {
        for (const auto& e : m.extents)
            if (id >= e.inside && id - e.inside < e.count)
                return {{e.outside + (id - e.inside), e.outside + (id - e.inside)}};
        return {{id, id}};
    }
    auto taken = m.extents;
    std::sort(taken.begin(), taken.end(), [](const auto& a, const auto& b) { return a.outside < b.outside; });
    gid_set free;
    unsigned long long from = 0;
    for (const auto& e : taken) {
        if (e.outside > from)
            free.emplace_back(from, e.outside - 1);
        from = std::max(from, e.outside + e.count);
    }
    if (from <= max_gid)
        free.emplace_back(from, max_gid);
    return free;
}

// ping_init_sock's test, "low <= g <= high for the egid or a group", when
// some of those are only known as sets: 1 always, 0 never, -1 it depends.
int ping_range_holds(const gid_set& low, const gid_set& high, const std::vector<gid_set>& gids)
{
    if (low.empty() || high.empty())
        return -1;
    const unsigned long long low_min = low.front().first, low_max = low.back().second;
    const unsigned long long high_min = high.front().first, high_max = high.back().second;
    bool maybe = false;
    for (const gid_set& g : gids) {
        if (g.empty())
            continue;
        if (low_max <= g.front().first && g.back().second <= high_min)
            return 1;  // every choice passes
        for (const auto& r : g)
            if (r.second >= low_min && r.first <= high_max)
                maybe = true;  // some choice passes
    }
    return maybe ? -1 : 0;
}

// The file capabilities of the program a task runs (security.capability of
// /proc/PID/exe): the permitted set, 0 if none.
std::uint64_t file_caps(int pid)
{
    unsigned char buf[64];
    const ssize_t n = ::getxattr(proc_path(pid, "exe").c_str(), "security.capability", buf, sizeof buf);
    if (n < 12)
        return 0;
    auto le32 = [&](std::size_t at) {
        return std::uint32_t{buf[at]} | std::uint32_t{buf[at + 1]} << 8 | std::uint32_t{buf[at + 2]} << 16 |
               std::uint32_t{buf[at + 3]} << 24;
    };
    // struct vfs_cap_data: magic_etc, then {permitted, inheritable} x 1 (v1) or 2 (v2, v3).
    std::uint64_t permitted = le32(4);
    if (n >= 20)
        permitted |= std::uint64_t{le32(12)} << 32;
    return permitted;
}

std::string cap_names(std::uint64_t caps)
{
    std::string out;
    for (unsigned i = 0; i < 64; ++i)
        if (caps >> i & 1U) {
            std::string n = cap_name(i);
            for (char& ch : n)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            append_item(out, ",", n);
        }
    return out;
}

// ---------------------------------------------------------------------------
// Namespaces, relative to the tool's own

class ns_reader {
public:
    ns_reader()
    {
        self_user_ = ns_ino("/proc/self/ns/user");
        self_net_ = ns_ino("/proc/self/ns/net");
        tool_in_child_ = self_user_ != proc_user_init_ino;
        if (tool_in_child_) {
            const int fd = ::open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
            tool_user_ = ns_link{self_user_, fd >= 0 ? owner_uid(fd) : 65534, 0};
            if (fd >= 0)
                ::close(fd);
            gid_map_ = read_gid_map();
            std::string o;
            overflowgid_ = read_small("/proc/sys/kernel/overflowgid", o) ? std::strtoul(o.c_str(), nullptr, 10) : 65534;
        }
        // init_net: its fixed inode, or (older kernels) the inode of init's.
        init_net_ino_ = proc_net_init_ino;
        if (!tool_in_child_ && self_net_ != proc_net_init_ino) {
            const unsigned long long init = ns_ino("/proc/1/ns/net");
            if (init != 0 && ns_ino("/proc/1/ns/user") == self_user_ && init == self_net_)
                init_net_ino_ = init;
        }
    }

    bool tool_in_child_userns() const { return tool_in_child_; }

    // A gid the tool's user namespace does not map reads as the overflow gid.
    bool unmapped(unsigned long gid) const
    {
        return tool_in_child_ && gid == overflowgid_ && !gid_map_.mapped(gid);
    }

    // For a call in a user namespace where ping_group_range or the task's
    // gids read as unmapped: whether ping_init_sock's range test passes,
    // reasoned in the parent namespace's ids (exact when the tool's user
    // namespace is a child of init_user_ns; nested deeper, the parent's ids
    // are taken in the kernel's order): 1, 0, or -1 (cannot be known here).
    int ping_holds(const sm::cred& c, const sm::net_sysctl& s) const
    {
        auto set = [&](unsigned long long id) { return parent_gids(gid_map_, id, unmapped(id)); };
        std::vector<gid_set> gids{set(c.egid)};
        for (sm::kgid_t g : c.group_info)
            gids.push_back(set(g));
        return ping_range_holds(set(s.ping_group_range.low), set(s.ping_group_range.high), gids);
    }

    // The task's namespaces as the model builds them; false with the reason.
    bool view(int pid, ns_view& v, std::string& why)
    {
        const std::string user = proc_path(pid, "ns/user"), net = proc_path(pid, "ns/net");
        const unsigned long long u = ns_ino(user), n = ns_ino(net);
        if (u == 0 || n == 0) {
            why = "cannot read " + user + " or " + net;
            return false;
        }
        const auto key = std::make_pair(u, n);
        if (const auto it = cache_.find(key); it != cache_.end()) {
            v = it->second.first;
            why = it->second.second;
            return why.empty();
        }
        ns_view nv;
        std::string err;
        build(user, net, u, n, nv, err);
        cache_[key] = {nv, err};
        v = nv;
        why = err;
        return err.empty();
    }

    // The net sysctls of the netns of task `pid` (inode `net`).
    bool sysctls(int pid, unsigned long long net, sm::net_sysctl& s, std::string& why)
    {
        auto it = sysctls_.find(net);
        if (it == sysctls_.end()) {
            net_sysctl_files f;
            if (net == self_net_) {
                open_net_sysctls(f);
            } else {
                std::thread helper([&] {
                    const int fd = ::open(proc_path(pid, "ns/net").c_str(), O_RDONLY | O_CLOEXEC);
                    if (fd < 0) {
                        f.error = "cannot open " + proc_path(pid, "ns/net") + ": " + std::strerror(errno);
                        return;
                    }
                    if (::setns(fd, CLONE_NEWNET) != 0) {
                        f.error = "cannot enter the task's network namespace to read its sysctls (setns: " +
                                  std::string(std::strerror(errno)) +
                                  "; needs CAP_SYS_ADMIN there, or to be the owner of its user namespace)";
                        if (open_net_sysctls_via_owner(fd, f))
                            f.ns_fd = fd;
                        else
                            ::close(fd);
                        return;
                    }
                    f.ns_fd = fd;
                    open_net_sysctls(f);
                });
                helper.join();
            }
            it = sysctls_.emplace(net, f).first;
        }
        return read_net_sysctls(it->second, s, why);
    }

private:
    // The chain of user namespaces from below the tool's down to the one open
    // on `fd` (which it closes); false if that one is not below the tool's.
    bool chain_to(int fd, std::vector<ns_link>& chain, std::string& why)
    {
        for (int depth = 0; depth < 33; ++depth) {
            const unsigned long long ino = fd_ino(fd);
            if (ino == self_user_) {
                ::close(fd);
                std::reverse(chain.begin(), chain.end());
                return true;
            }
            chain.push_back(ns_link{ino, owner_uid(fd), 0});
            const int parent = ::ioctl(fd, NS_GET_PARENT);
            ::close(fd);
            if (parent < 0) {
                why = "a user namespace that is not the tool's nor below it";
                return false;
            }
            fd = parent;
        }
        ::close(fd);
        why = "user namespaces nested deeper than 32";
        return false;
    }

    void build(const std::string& user, const std::string& net, unsigned long long u, unsigned long long n,
               ns_view& v, std::string& why)
    {
        v.tool_in_child_userns = tool_in_child_;
        v.tool_user = tool_user_;
        v.net_ino = n;
        if (u != self_user_) {
            const int fd = ::open(user.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || !chain_to(fd, v.task_user_chain, why)) {
                why = "the task's user namespace: " + (why.empty() ? std::string("cannot open ") + user : why);
                return;
            }
        }
        if (n == init_net_ino_ && !tool_in_child_) {
            v.net_owner = ns_view::owner::init_net;
            return;
        }
        const int fd = ::open(net.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            why = "cannot open " + net;
            return;
        }
        const int owner = ::ioctl(fd, NS_GET_USERNS);
        ::close(fd);
        if (owner < 0) {
            // EPERM: owned by a namespace above the tool's (init_user_ns or
            // one between): seen from here, as init_user_ns.
            v.net_owner = n == init_net_ino_ ? ns_view::owner::init_net : ns_view::owner::ancestor;
            return;
        }
        v.net_owner = ns_view::owner::chain;
        if (!chain_to(owner, v.net_owner_chain, why))
            why = "the task's network namespace is owned by " + why;
    }

    unsigned long long self_user_ = 0, self_net_ = 0, init_net_ino_ = 0;
    bool tool_in_child_ = false;
    ns_link tool_user_;
    id_map gid_map_;
    unsigned long overflowgid_ = 65534;
    std::map<std::pair<unsigned long long, unsigned long long>, std::pair<ns_view, std::string>> cache_;
    std::map<unsigned long long, net_sysctl_files> sysctls_;
};

// ---------------------------------------------------------------------------
// Descriptor tables

// What changed a table, for the evidence of a race.
struct table_change {
    unsigned long seq;
    int pid;
    std::string what;
};

struct fd_table {
    std::vector<char> open;   // fds known open (never one that is closed)
    bool stale = true;        // read /proc/PID/fd before the next call
    bool model_stale = true;  // build the model from `open` before the next call
    std::unique_ptr<model> m;
    int tasks = 0;            // traced tasks using this table
    unsigned long seq = 0;    // changes so far
    std::vector<table_change> log;  // the last changes (bounded)
    std::map<int, int> closing;     // fd → task whose close() of it has entered, not returned

    bool is_set(int fd) const { return fd >= 0 && static_cast<std::size_t>(fd) < open.size() && open[static_cast<std::size_t>(fd)]; }
    int high_water = -1;  // the highest fd known open in the table so far
    void set(int fd)
    {
        high_water = std::max(high_water, fd);
        if (static_cast<std::size_t>(fd) >= open.size())
            open.resize(static_cast<std::size_t>(fd) + 64, 0);
        open[static_cast<std::size_t>(fd)] = 1;
    }
    void clear(int fd)
    {
        if (is_set(fd))
            open[static_cast<std::size_t>(fd)] = 0;
    }
    int lowest_free(int from = 0) const
    {
        for (std::size_t i = static_cast<std::size_t>(from); i < open.size(); ++i)
            if (!open[i])
                return static_cast<int>(i);
        return static_cast<int>(std::max<std::size_t>(open.size(), static_cast<std::size_t>(from)));
    }
    void note(int pid, std::string what)
    {
        ++seq;
        if (log.size() >= 64)
            log.erase(log.begin(), log.begin() + 32);
        log.push_back({seq, pid, std::move(what)});
    }
};

// ---------------------------------------------------------------------------
// One call

struct call_record {
    int pid = 0, tgid = 0;
    bool pair = false;
    int family = 0, type = 0, protocol = 0;
    unsigned long long sv_addr = 0;
    unsigned long nofile_cur = 0;
    std::shared_ptr<fd_table> table;
    unsigned long seq_at_entry = 0;
    std::string in_flight;  // other tasks' calls on the table under way at entry
    task_call_result model;
    std::vector<task_call_result> whatif;  // one per --what-if SPEC (empty: not made)
    int high_water = -1;                   // the table's highest fd known open before the call
    std::vector<std::string> needs;        // --needs: privileges whose removal changes the answer
    std::uint64_t needs_caps = 0;
    std::vector<int> needs_families;
    int needs_nofile = 0;  // RLIMIT_NOFILE the call needs (0: none asked)
    long needs_file_max = 0;  // fs.file-max the call needs (0: none asked, or CAP_SYS_ADMIN)
    long nr_files = -1;       // files in use on the machine at entry (/proc/sys/fs/file-nr), -1 unknown
    std::optional<std::string> not_modelled;
};

std::string attrs_text(const fd_attrs& a)
{
    char buf[160];
    std::snprintf(buf, sizeof buf, "fd %d (F_GETFD %d, F_GETFL %#o, SO_TYPE %d, SO_PROTOCOL %d, SO_DOMAIN %d)", a.fd,
                  a.fd_flags, static_cast<unsigned>(a.fl_flags), a.so_type, a.so_protocol, a.so_domain);
    return buf;
}

std::string attrs_json(const fd_attrs& a)
{
    return "{\"fd\":" + std::to_string(a.fd) + ",\"F_GETFD\":" + std::to_string(a.fd_flags) +
           ",\"F_GETFL\":" + std::to_string(a.fl_flags) + ",\"SO_TYPE\":" + std::to_string(a.so_type) +
           ",\"SO_PROTOCOL\":" + std::to_string(a.so_protocol) + ",\"SO_DOMAIN\":" + std::to_string(a.so_domain) +
           "}";
}

std::string outcome_json(int ret, const std::vector<fd_attrs>& fds)
{
    std::string out = "{\"ret\":" + std::to_string(ret);
    if (ret < 0)
        out += ",\"errno\":" + sm::trace::detail::json_string(sm::errno_name(ret));
    out += ",\"fds\":[";
    for (std::size_t i = 0; i < fds.size(); ++i)
    {
        if (i)
            out += ',';
        out += attrs_json(fds[i]);
    }
    return out + "]}";
}

// "-1 EPERM", "3", or "0 [3, 4]" for socketpair.
std::string outcome_text(int ret, const std::vector<fd_attrs>& fds, bool pair)
{
    std::string s = strace_result(ret);
    if (pair && ret == 0 && fds.size() == 2)
        s += " [" + std::to_string(fds[0].fd) + ", " + std::to_string(fds[1].fd) + "]";
    return s;
}

enum class verdict { agree, disagree, race, not_modelled };

const char* verdict_name(verdict v)
{
    switch (v) {
    case verdict::agree: return "agree";
    case verdict::disagree: return "disagree";
    case verdict::race: return "race";
    case verdict::not_modelled: return "not modelled";
    }
    return "?";
}

class tracer {
public:
    explicit tracer(const options& o, std::FILE* out) : o_(o), out_(out)
    {
        for (const std::string& spec : o.what_if) {
            specs_.push_back(parse_whatif(spec));
            tweaks_.push_back(whatif_tweak(specs_.back()));
            const std::string& abi = specs_.back().abi;
            if (!abi.empty() && std::find(abis_.begin(), abis_.end(), abi) == abis_.end())
                abis_.push_back(abi);
        }
        wcount_.resize(specs_.size());
        file_nr_fd_ = ::open("/proc/sys/fs/file-nr", O_RDONLY | O_CLOEXEC);
    }
    ~tracer()
    {
        if (file_nr_fd_ >= 0)
            ::close(file_nr_fd_);
    }
    tracer(const tracer&) = delete;
    tracer& operator=(const tracer&) = delete;

    // --- descriptor tables ---------------------------------------------------
    std::shared_ptr<fd_table> table_of(int pid)
    {
        auto& t = tables_[pid];
        if (!t) {
            t = std::make_shared<fd_table>();
            t->tasks = 1;
        }
        return t;
    }

    // A new task (fork/vfork/clone of `parent`): the same table (CLONE_FILES)
    // or a copy of it, as kcmp(KCMP_FILES) says.
    void on_new_task(int parent, int child)
    {
        // What-if: a task made after its process's first difference may not
        // exist in that environment; its differences are never certain.
        if (!diverged_.empty() || !inherited_.empty()) {
            std::set<std::size_t> from = inherited_[parent];
            status_info ps;
            std::string why;
            const int ptgid = read_status(parent, ps, why) ? ps.tgid : parent;
            if (const auto d = diverged_.find(ptgid); d != diverged_.end())
                from.insert(d->second.begin(), d->second.end());
            if (!from.empty())
                inherited_[child] = std::move(from);
        }
        const auto it = tables_.find(parent);
        if (it == tables_.end())
            return;  // the child's table is read from /proc when it matters
        const std::shared_ptr<fd_table> pt = it->second;
        const long same = ::syscall(SYS_kcmp, parent, child, KCMP_FILES, 0, 0);
        if (tables_.contains(child)) {
            // The child stopped at a call before its parent's fork/clone event
            // was seen: it was given a table of its own, read from /proc.
            if (same == 0) {  // but it shares the parent's: one view, read again
                drop_task(child);
                tables_[child] = pt;
                ++pt->tasks;
                pt->stale = true;
            }
            return;
        }
        if (same == 0) {
            tables_[child] = pt;
            ++pt->tasks;
            return;
        }
        auto t = std::make_shared<fd_table>();
        t->tasks = 1;
        if (same > 0 && !pt->stale) {  // a copy made at fork: the parent's set holds for it
            t->open = pt->open;
            t->high_water = pt->high_water;
            t->stale = false;
        }
        tables_[child] = std::move(t);
    }

    // The task has a new table of its own: exec, unshare(CLONE_FILES),
    // close_range(CLOSE_RANGE_UNSHARE). Read from /proc when it matters.
    void new_table(int pid)
    {
        drop_task(pid);
        table_of(pid);
    }

    void drop_task(int pid)
    {
        const auto it = tables_.find(pid);
        if (it == tables_.end())
            return;
        --it->second->tasks;
        tables_.erase(it);
    }

    void task_gone(int pid)
    {
        seen(pid);
        drop_task(pid);
        pending_.erase(pid);
        creds_.erase(pid);
        if (const auto it = pidfds_.find(pid); it != pidfds_.end()) {
            ::close(it->second);
            pidfds_.erase(it);
        }
    }

    // close(fd) entered: the fd leaves the set now, and is "closing" until
    // the task stops again (then its close has returned), so that a lookup
    // meanwhile does not take it for open.
    void on_close(int pid, int fd)
    {
        const auto it = tables_.find(pid);
        if (it == tables_.end() || fd < 0)
            return;
        fd_table& t = *it->second;
        if (t.is_set(fd)) {
            t.clear(fd);
            if (t.m && !t.model_stale)
                t.m->close(fd);
        }
        t.note(pid, "close(" + std::to_string(fd) + ")");
        t.closing[fd] = pid;
        closing_[pid] = {it->second, fd};
    }

    // Task `pid` stopped: a close() it made has returned.
    void seen(int pid)
    {
        if (closing_.empty())
            return;
        const auto it = closing_.find(pid);
        if (it == closing_.end())
            return;
        fd_table& t = *it->second.first;
        const int fd = it->second.second;
        if (const auto c = t.closing.find(fd); c != t.closing.end() && c->second == pid)
            t.closing.erase(c);
        closing_.erase(it);
    }

    // Its credentials may have changed (set*id, capset, setns, unshare, exec).
    void creds_changed(int pid) { creds_.erase(pid); }

    void on_close_range(int pid, unsigned first, unsigned last, unsigned flags)
    {
        if (flags & CLOSE_RANGE_UNSHARE) {
            // The new table is a copy less the range (or with it cloexec):
            // read it from /proc at the next call.
            new_table(pid);
            return;
        }
        if (flags & CLOSE_RANGE_CLOEXEC)
            return;
        const auto it = tables_.find(pid);
        if (it == tables_.end())
            return;
        fd_table& t = *it->second;
        for (std::size_t fd = first; fd < t.open.size() && fd <= last; ++fd)
            if (t.open[fd]) {
                t.open[fd] = 0;
                if (t.m && !t.model_stale)
                    t.m->close(static_cast<int>(fd));
            }
        t.note(pid, "close_range(" + std::to_string(first) + ", " + std::to_string(last) + ")");
    }

    // --- socket()/socketpair() -------------------------------------------------
    void on_entry(int pid, bool pair, const unsigned long long (&args)[6])
    {
        call_record c;
        c.pid = pid;
        c.pair = pair;
        // The int arguments as the kernel takes them: the low 32 bits.
        c.family = static_cast<int>(static_cast<std::uint32_t>(args[0]));
        c.type = static_cast<int>(static_cast<std::uint32_t>(args[1]));
        c.protocol = static_cast<int>(static_cast<std::uint32_t>(args[2]));
        c.sv_addr = args[3];
        c.table = table_of(pid);
        for (const auto& [fd, by] : c.table->closing)
            if (by != pid)
                append_item(c.in_flight, "; ", "close(", std::to_string(fd), ") by [pid ", std::to_string(by),
                            "] under way");
        for (const auto& [other, p] : pending_)
            if (other != pid && p.table == c.table)
                append_item(c.in_flight, "; ", p.pair ? "socketpair" : "socket", "() by [pid ",
                            std::to_string(other), "] under way");
        std::string why;
        call_view v;
        status_info s;
        if (!status_of(pid, s, why) || !read_nofile(pid, v.nofile_cur, v.nofile_max, why) ||
            !ns_.view(pid, v.ns, why) || !ns_.sysctls(pid, v.ns.net_ino, v.sysctl, why) ||
            !sync_table(pid, *c.table, pair, why)) {
            c.not_modelled = why;
            c.tgid = s.tgid;
            pending_[pid] = std::move(c);
            return;
        }
        c.tgid = s.tgid;
        c.nofile_cur = v.nofile_cur;
        v.cred = s.cred;
        machine_files(v);
        c.nr_files = v.nr_files;
        c.seq_at_entry = c.table->seq;
        model& m = *c.table->m;
        const int holds = ping_undecidable(v) ? ns_.ping_holds(v.cred, v.sysctl) : -2;
        if (holds == 0 || holds == 1) {
            // Decided from the gid map: the range as it acts (full or empty).
            call_view w = v;
            w.sysctl.ping_group_range = holds ? decltype(w.sysctl.ping_group_range){0, 0xfffffffeU}
                                              : decltype(w.sysctl.ping_group_range){1, 0};
            c.high_water = c.table->high_water;
            whatifs(c, m, w);
            if (o_.needs)
                needs_of(c, m, w);
            c.model = m.call(w, pair, c.family, c.type, c.protocol, nullptr);
        } else if (holds == -1) {
            // Ask with the range full, then empty: the same answer either way,
            // or the call depends on ids the tool cannot see.
            call_view full = v, none = v;
            full.sysctl.ping_group_range = {0, 0xfffffffeU};
            none.sysctl.ping_group_range = {1, 0};
            task_call_result a = m.call(full, pair, c.family, c.type, c.protocol, nullptr);
            for (const fd_attrs& f : a.fds)
                m.close(f.fd);
            c.model = m.call(none, pair, c.family, c.type, c.protocol, nullptr);
            if (!a.not_modelled && !c.model.not_modelled && (a.ret != c.model.ret || !(a.fds == c.model.fds)))
                c.model.not_modelled =
                    "the answer depends on ping_group_range and the task's gids, which the tool's user namespace "
                    "does not map (they read as the overflow gid): full range " +
                    strace_result(a.ret) + ", empty range " + strace_result(c.model.ret);
        } else {
            c.high_water = c.table->high_water;
            whatifs(c, m, v);
            if (o_.needs)
                needs_of(c, m, v);
            c.model = m.call(v, pair, c.family, c.type, c.protocol, nullptr);
        }
        c.not_modelled = c.model.not_modelled;
        pending_[pid] = std::move(c);
    }

    void on_exit(int pid, long rval)
    {
        const auto it = pending_.find(pid);
        if (it == pending_.end())
            return;  // an exit without its entry
        call_record c = std::move(it->second);
        pending_.erase(it);
        const int ret = static_cast<int>(rval);
        std::vector<fd_attrs> kfds;
        std::optional<std::string> kernel_unread;
        std::vector<int> new_fds;
        if (!c.pair && ret >= 0) {
            new_fds.push_back(ret);
        } else if (c.pair && ret == 0) {
            errno = 0;
            const long word = ::ptrace(PTRACE_PEEKDATA, pid, reinterpret_cast<void*>(c.sv_addr), nullptr);
            if (errno != 0) {
                kernel_unread = "cannot read socketpair's sv[] from the task";
            } else {
                new_fds.push_back(static_cast<int>(static_cast<std::uint32_t>(word)));
                new_fds.push_back(static_cast<int>(static_cast<std::uint32_t>(static_cast<unsigned long>(word) >> 32)));
            }
        }
        for (int fd : new_fds) {
            fd_attrs a;
            std::string why;
            if (!read_kernel_fd(pid, pidfd_of(c.tgid ? c.tgid : pid), fd, a, why) && !kernel_unread)
                kernel_unread = "cannot read the new fd " + std::to_string(fd) + ": " + why;
            kfds.push_back(a);
        }
        if (!c.not_modelled && kernel_unread)
            c.not_modelled = kernel_unread;

        // The table now: the kernel's new fds open, the model's others closed.
        fd_table& t = *c.table;
        std::string evidence;
        if (t.m && !t.model_stale) {
            if (!c.not_modelled)
                evidence = race_evidence(c, ret, kfds, new_fds);
            for (const fd_attrs& f : c.model.fds)
                if (std::find(new_fds.begin(), new_fds.end(), f.fd) == new_fds.end())
                    t.m->close(f.fd);
        }
        for (int fd : new_fds) {
            t.set(fd);
            if (t.m && !t.model_stale && !t.m->open_at(fd))
                t.model_stale = true;
        }
        if (!new_fds.empty()) {
            std::string fds;
            for (int fd : new_fds)
                append_item(fds, ", ", std::to_string(fd));
            std::string what = c.pair ? "socketpair" : "socket";
            what.append("() = ").append(fds);
            t.note(pid, what);
        }
        report(c, ret, kfds, evidence);
    }

    // The end of the JSON report: the summary object (json: closing the
    // document, so it is one even when the program could not be run).
    void finish_json()
    {
        if (o_.format == output_format::json) {
            const std::string s = "{\"calls\":" + std::to_string(calls_) + ",\"socket\":" + std::to_string(sockets_) +
                                  ",\"socketpair\":" + std::to_string(pairs_) + ",\"agree\":" +
                                  std::to_string(agree_) + ",\"disagree\":" + std::to_string(disagree_) +
                                  ",\"race\":" + std::to_string(race_) + ",\"not_modelled\":" +
                                  std::to_string(not_modelled_) + whatif_summary_json() + needs_json() + "}";
            if (o_.json_lines) {
                std::fputs(("{\"summary\":" + s + "}\n").c_str(), out_);
            } else {
                std::fputs(first_ ? "{\"calls\":[" : "\n],", out_);
                if (first_)
                    std::fputs("],", out_);
                std::fputs(("\"summary\":" + s + "}\n").c_str(), out_);
            }
        }
    }

    void summary()
    {
        finish_json();
        std::string line = "sockmodel-trace: " + std::to_string(calls_) + " calls (socket " +
                           std::to_string(sockets_) + ", socketpair " + std::to_string(pairs_) +
                           "): " + std::to_string(agree_) + " agree, " + std::to_string(disagree_) + " disagree";
        if (race_)
            line += ", " + std::to_string(race_) + " race";
        if (not_modelled_)
            line += ", " + std::to_string(not_modelled_) + " not modelled";
        if (o_.needs && o_.format == output_format::tree)
            std::fputs(needs_text().c_str(), out_);
        std::fflush(out_);
        std::fprintf(stderr, "%s\n", line.c_str());
        for (std::size_t i = 0; i < specs_.size(); ++i)
            std::fprintf(stderr, "sockmodel-trace: what-if %s: %d calls would differ (%d first of a process, %d if the program went on the same way)%s\n",
                         specs_[i].text.c_str(), wcount_[i].differ, wcount_[i].first,
                         wcount_[i].differ - wcount_[i].first,
                         specs_[i].file_max ? "; file-max against the files in use read from /proc/sys/fs/file-nr at "
                                              "each call: only as exact as that snapshot"
                                            : "");
    }

    std::string whatif_summary_json() const
    {
        if (specs_.empty())
            return "";
        std::string items;
        for (std::size_t i = 0; i < specs_.size(); ++i)
            append_item(items, ",", "{\"spec\":", sm::trace::detail::json_string(specs_[i].text), ",\"differ\":",
                        std::to_string(wcount_[i].differ), ",\"first\":", std::to_string(wcount_[i].first), "}");
        return ",\"what_if\":[" + items + "]";
    }

    // --needs: the privileges, then the systemd unit lines.
    std::string unit_lines() const
    {
        std::string caps, fams;
        for (unsigned bit = 0; bit < 64; ++bit)
            if (needed_caps_ >> bit & 1U)
                append_item(caps, " ", cap_name(bit));
        for (int f : needed_families_)
            append_item(fams, " ", sm::trace::decode_family(f));
        std::string out = "CapabilityBoundingSet=" + caps + "\n";
        out += "RestrictAddressFamilies=" + (fams.empty() ? std::string("none") : fams) + "\n";
        // The socket calls' headroom: a lower bound (fds other calls hold
        // at other times are not seen; fds inherited at exec, which a
        // service does not get, are not counted apart).
        if (needed_nofile_)
            out += "LimitNOFILE=" + std::to_string(needed_nofile_) + "\n";
        return out;
    }

    std::string needs_text() const
    {
        std::string out = "sockmodel-trace: needs (each privilege whose removal changes a successful call's answer):\n";
        if (needed_.empty() && !needed_nofile_ && !needed_file_max_)
            out += "  nothing\n";
        for (const auto& [what, calls] : needed_) {
            std::string list;
            for (const std::string& c : calls)
                append_item(list, ", ", c);
            out += "  " + what + " for " + list + "\n";
        }
        if (needed_nofile_)
            out += "  RLIMIT_NOFILE >= " + std::to_string(needed_nofile_) + " for " + nofile_call_ + " (fd " +
                   std::to_string(needed_nofile_ - 1) + ")\n";
        if (needed_file_max_)
            out += "  fs.file-max >= " + std::to_string(needed_file_max_) + " for " + file_max_call_ + " (" +
                   std::to_string(file_max_nr_) + " files in use on this machine at the call: a snapshot of "
                   "/proc/sys/fs/file-nr, which moves with every process)\n";
        out += "sockmodel-trace: systemd unit lines (for the socket calls seen; socketpair() is not filtered by "
               "RestrictAddressFamilies=; LimitNOFILE= is a lower bound: it counts the fds socket calls got, "
               "not those other calls hold at other times):\n";
        std::istringstream lines(unit_lines());
        for (std::string l; std::getline(lines, l);)
            out += "  " + l + "\n";
        return out;
    }

    std::string needs_json() const
    {
        if (!o_.needs)
            return "";
        std::string items;
        for (const auto& [what, calls] : needed_) {
            std::string list;
            for (const std::string& c : calls)
                append_item(list, ",", sm::trace::detail::json_string(c));
            append_item(items, ",", "{\"needs\":", sm::trace::detail::json_string(what), ",\"calls\":[", list, "]}");
        }
        if (needed_nofile_)
            append_item(items, ",", "{\"needs\":", sm::trace::detail::json_string("RLIMIT_NOFILE >= " + std::to_string(needed_nofile_)),
                        ",\"calls\":[", sm::trace::detail::json_string(nofile_call_), "]}");
        if (needed_file_max_)
            append_item(items, ",", "{\"needs\":",
                        sm::trace::detail::json_string("fs.file-max >= " + std::to_string(needed_file_max_)),
                        ",\"calls\":[", sm::trace::detail::json_string(file_max_call_),
                        "],\"files_in_use\":", std::to_string(file_max_nr_), "}");
        std::string unit;
        std::istringstream lines(unit_lines());
        for (std::string l; std::getline(lines, l);)
            append_item(unit, ",", sm::trace::detail::json_string(l));
        return ",\"needs\":[" + items + "],\"systemd\":[" + unit + "]";
    }

    bool any_disagree() const { return disagree_ != 0; }

    // --strict: a what-if answer differed from the kernel's.
    bool any_whatif_differs() const
    {
        return std::any_of(wcount_.begin(), wcount_.end(), [](const whatif_count& w) { return w.differ != 0; });
    }

private:
    // --- what-if and needs -------------------------------------------------------
    // Each SPEC's answer to the call, made before the call itself (the
    // model's new fds are closed again: the table follows the kernel's).
    void whatifs(call_record& c, model& m, const call_view& v)
    {
        for (std::size_t i = 0; i < specs_.size(); ++i) {
            model* target = specs_[i].abi.empty() ? &m : m.abi(specs_[i].abi);
            if (!target) {
                task_call_result r;
                r.not_modelled = "no model of ABI " + specs_[i].abi;
                c.whatif.push_back(std::move(r));
                continue;
            }
            c.whatif.push_back(
                target->call(apply_whatif(specs_[i], i, v), c.pair, c.family, c.type, c.protocol, &tweaks_[i]));
        }
    }

    // The machine's files at a call's entry: /proc/sys/fs/file-nr (files in
    // use, as get_nr_files() reads them, and fs.file-max), and the AF_UNIX
    // sockets when file-max (the machine's or a SPEC's) is below twice the
    // files in use, where unix_create1's unix_nr_socks > 2 * file-max could
    // be in reach: the lines of /proc/net/unix (the tool's network
    // namespace only, a lower bound of unix_nr_socks). A snapshot: other
    // processes open and close files between it and the call.
    void machine_files(call_view& v)
    {
        char buf[128];
        const ssize_t n = file_nr_fd_ >= 0 ? ::pread(file_nr_fd_, buf, sizeof buf - 1, 0) : -1;
        if (n <= 0)
            return;
        buf[n] = '\0';
        long nr = 0, unused = 0, max = 0;
        if (std::sscanf(buf, "%ld %ld %ld", &nr, &unused, &max) != 3)
            return;
        v.nr_files = nr;
        v.max_files = max;
        bool low = max / 2 < nr;
        for (const whatif_spec& s : specs_)
            low = low || (s.file_max && *s.file_max / 2 < nr);
        if (!low)
            return;
        const int fd = ::open("/proc/net/unix", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return;
        long lines = 0;
        for (ssize_t got; (got = ::read(fd, buf, sizeof buf)) > 0;)
            lines += std::count(buf, buf + got, '\n');
        ::close(fd);
        v.unix_socks = std::max(0L, lines - 1);  // less the header line
    }

    // --needs: the call made again with one privilege of the task taken away
    // at a time (each capability, each supplementary group, the
    // ping_group_range and net.mptcp.enabled sysctls, each registered family,
    // the RLIMIT_NOFILE headroom above the fds it gets); those whose removal
    // changes the answer are what the call needs. Only a successful answer
    // is looked at; cached by what the answer can depend on.
    void needs_of(call_record& c, model& m, const call_view& v)
    {
        const model_tweak plain;
        const task_call_result base = m.call(v, c.pair, c.family, c.type, c.protocol, &plain);
        if (base.not_modelled || base.ret < 0)
            return;
        auto changes = [&](const call_view& w, const model_tweak& t) {
            const task_call_result r = m.call(w, c.pair, c.family, c.type, c.protocol, &t);
            return r.not_modelled || r.ret != base.ret || !(r.fds == base.fds);
        };
        int top = 0;
        for (const fd_attrs& f : base.fds)
            top = std::max(top, f.fd);
        // The headroom: a limit that leaves the highest new fd out.
        call_view tight = v;
        tight.nofile_cur = static_cast<unsigned long>(top);
        if (changes(tight, plain))
            c.needs_nofile = top + 1;
        // fs.file-max headroom: a limit at the files in use (CAP_SYS_ADMIN
        // goes above it; for the rest alloc_empty_file refuses the first new file).
        if (v.nr_files >= 0) {
            call_view at = v;
            at.max_files = v.nr_files;
            if (changes(at, plain))
                c.needs_file_max = v.nr_files + static_cast<long>(base.fds.size());
        }
        std::string key = std::to_string(c.family) + "," + std::to_string(c.type) + "," +
                          std::to_string(c.protocol) + (c.pair ? "p" : "s") + std::to_string(v.cred.euid) + ":" +
                          std::to_string(v.cred.egid) + ":" + std::to_string(v.cred.cap_effective.val) + ":" +
                          std::to_string(v.sysctl.ping_group_range.low) + "-" +
                          std::to_string(v.sysctl.ping_group_range.high) + (v.sysctl.mptcp_enabled ? "m" : "") +
                          ":" + std::to_string(v.ns.task_user_chain.size()) + ":" + std::to_string(v.ns.net_ino);
        for (sm::kgid_t g : v.cred.group_info)
            key += "," + std::to_string(g);
        if (const auto it = needs_cache_.find(key); it != needs_cache_.end()) {
            c.needs = it->second.needs;
            c.needs_caps = it->second.caps;
            c.needs_families = it->second.families;
            return;
        }
        for (unsigned bit = 0; bit <= sm::cap_last_cap; ++bit)
            if (v.cred.cap_effective.val >> bit & 1U) {
                call_view w = v;
                w.cred.cap_effective.val &= ~(std::uint64_t{1} << bit);
                if (changes(w, plain)) {
                    c.needs.push_back(cap_name(bit));
                    c.needs_caps |= std::uint64_t{1} << bit;
                }
            }
        // (group_info's own API only: assign, iteration; it is no std::vector on every branch)
        const std::vector<sm::kgid_t> groups(v.cred.group_info.begin(), v.cred.group_info.end());
        for (std::size_t i = 0; i < groups.size(); ++i) {
            std::vector<sm::kgid_t> rest = groups;
            rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
            call_view w = v;
            w.cred.group_info.assign(rest.begin(), rest.end());
            if (changes(w, plain))
                c.needs.push_back("membership of group " + std::to_string(groups[i]));
        }
        const auto range = v.sysctl.ping_group_range;
        if (range.low <= range.high) {
            call_view w = v;
            w.sysctl.ping_group_range = {1, 0};
            if (changes(w, plain)) {
                std::vector<sm::kgid_t> gids{v.cred.egid};
                gids.insert(gids.end(), groups.begin(), groups.end());
                std::string which;
                for (sm::kgid_t g : gids) {
                    w.sysctl.ping_group_range = {g, g};
                    if (!changes(w, plain) && which.find("gid " + std::to_string(g) + " ") == std::string::npos)
                        append_item(which, ", or ", "gid ", std::to_string(g), " inside net.ipv4.ping_group_range");
                }
                c.needs.push_back(which.empty() ? "net.ipv4.ping_group_range " + std::to_string(range.low) + " " +
                                                      std::to_string(range.high)
                                                : which);
            }
        }
        if (v.sysctl.mptcp_enabled) {
            call_view w = v;
            w.sysctl.mptcp_enabled = false;
            if (changes(w, plain))
                c.needs.push_back("net.mptcp.enabled=1");
        }
        for (int f = 0; f < host_abi::nproto; ++f)
            if (m.registered(f)) {
                model_tweak t;
                t.unregister.push_back(f);
                if (changes(v, t)) {
                    c.needs.push_back("family " + sm::trace::decode_family(f));
                    c.needs_families.push_back(f);
                }
            }
        needs_cache_[key] = {c.needs, c.needs_caps, c.needs_families};
    }

    // --what-if abi=ARCH: the call and answer in ARCH's numbers.
    static std::string abi_ret_text(const abi_numbers& a, bool pair)
    {
        if (a.ret >= 0)
            return outcome_text(a.ret, a.fds, pair);
        const int n = abi_errno_number(a.name, a.ret);
        return "-1 " + std::string(sm::errno_name(a.ret)) + " (errno " + (n < 0 ? std::string("?") : std::to_string(n)) +
               " there)";
    }

    static std::string abi_text(const abi_numbers& a, bool pair)
    {
        char args[96];
        std::snprintf(args, sizeof args, "(%d, %#x, %d", a.family, static_cast<unsigned>(a.type), a.protocol);
        std::string out = a.name + ": " + (pair ? "socketpair" : "socket") + args + (pair ? ", sv)" : ")") + " = " +
                          abi_ret_text(a, pair);
        for (const fd_attrs& f : a.fds)
            out += ' ', out += attrs_text(f);
        return out;
    }

    static std::string abi_json(const abi_numbers& a)
    {
        std::string out = "{\"name\":" + sm::trace::detail::json_string(a.name) + ",\"args\":[" +
                          std::to_string(a.family) + "," + std::to_string(a.type) + "," + std::to_string(a.protocol) +
                          "]";
        if (a.ret < 0) {
            const int n = abi_errno_number(a.name, a.ret);
            out += ",\"ret\":" + std::to_string(n < 0 ? a.ret : -n) + ",\"errno\":" +
                   sm::trace::detail::json_string(sm::errno_name(a.ret)) + ",\"errno_number\":" +
                   (n < 0 ? std::string("null") : std::to_string(n));
        } else {
            out += ",\"ret\":" + std::to_string(a.ret);
        }
        out += ",\"fds\":[";
        for (std::size_t i = 0; i < a.fds.size(); ++i) {
            if (i)
                out += ',';
            out += attrs_json(a.fds[i]);
        }
        return out + "]}";
    }

    // The what-if lines of a call whose kernel answer is (ret, kfds), and
    // the counts; JSON into `json` (an array's items).
    std::string whatif_report(const call_record& c, int ret, const std::vector<fd_attrs>& kfds, std::string& json)
    {
        std::string text;
        const int tgid = c.tgid ? c.tgid : c.pid;
        for (std::size_t i = 0; i < c.whatif.size(); ++i) {
            const task_call_result& r = c.whatif[i];
            const bool differs = !r.not_modelled && (r.ret != ret || !(r.fds == kfds));
            // An fd at or above SPEC's RLIMIT_NOFILE was open in the table
            // before this call: a call the tool does not stop at (open, pipe,
            // dup) would have failed there first.
            if (specs_[i].nofile && c.high_water >= 0 &&
                static_cast<unsigned long>(c.high_water) >= specs_[i].nofile->first)
                diverged_[tgid].insert(i);
            std::string item = "{\"spec\":" + sm::trace::detail::json_string(specs_[i].text) +
                               ",\"differs\":" + (differs ? "true" : "false");
            if (r.not_modelled)
                item += ",\"not_modelled\":" + sm::trace::detail::json_string(*r.not_modelled);
            else
                item += ",\"model\":" + outcome_json(r.ret, r.fds);
            if (r.abi)
                item += ",\"abi\":" + abi_json(*r.abi);
            if (specs_[i].file_max && c.nr_files >= 0)
                item += ",\"files_in_use\":" + std::to_string(c.nr_files);
            if (differs) {
                ++wcount_[i].differ;
                const auto inh = inherited_.find(c.pid);
                const bool certain = !diverged_[tgid].contains(i) && (inh == inherited_.end() || !inh->second.contains(i));
                if (certain)
                    ++wcount_[i].first;
                diverged_[tgid].insert(i);
                std::string reason = failing_check(r.events);
                if (reason.empty()) {
                    // It succeeds there: what refused it here.
                    const std::string here = failing_check(c.model.events);
                    reason = r.ret < 0 ? "the model's call failed"
                             : here.empty() ? "no check fails there"
                                            : "passes there; here " + here;
                }
                // How exact a file-max answer is: as the count it started from.
                if (specs_[i].file_max && c.nr_files >= 0 && (r.ret == -ENFILE || ret == -ENFILE))
                    reason += "; " + std::to_string(c.nr_files) + " files in use at the call, file-max " +
                              std::to_string(*specs_[i].file_max) +
                              ": a snapshot of /proc/sys/fs/file-nr, which moves with every process";
                item += ",\"reason\":" + sm::trace::detail::json_string(reason) +
                        ",\"certain\":" + (certain ? "true" : "false");
                text += "  what-if " + specs_[i].text + ": " + mismatch(r.ret, r.fds, kfds, c.pair) + " (" + reason +
                        ") " + (certain ? "[first difference of this process]" : "[if the program went on the same way]") +
                        "\n";
                if (o_.why && r.abi && o_.format != output_format::json)
                    text += "    " + abi_text(*r.abi, c.pair) + "\n";
                if (o_.why) {
                    if (o_.format == output_format::json) {
                        std::string joined;
                        std::istringstream lines(sm::trace::render_jsonl(r.events));
                        for (std::string l; std::getline(lines, l);)
                            append_item(joined, ",", l);
                        item += ",\"events\":[" + joined + "]";
                    } else {
                        std::istringstream lines(sm::trace::render_tree(r.events));
                        for (std::string l; std::getline(lines, l);)
                            text += "    " + l + "\n";
                    }
                }
            } else if (r.not_modelled) {
                text += "  what-if " + specs_[i].text + ": not modelled: " + *r.not_modelled + "\n";
            } else if (o_.why && r.abi) {
                // No difference: --why still shows the call in ARCH's numbers.
                text += "  what-if " + specs_[i].text + ": the same; " + abi_text(*r.abi, c.pair) + "\n";
            }
            append_item(json, ",", item + "}");
        }
        return text;
    }

    // Brings the table's set and model up to date for a call of task `pid`:
    // read whole from /proc when stale, then the lowest free fd (and the
    // next, for socketpair) checked against the task's table.
    bool sync_table(int pid, fd_table& t, bool pair, std::string& why)
    {
        if (t.stale) {
            std::vector<int> fds;
            if (!read_open_fds(pid, fds, why))
                return false;
            t.open.assign(fds.empty() ? 64 : static_cast<std::size_t>(fds.back()) + 64, 0);
            for (int fd : fds)
                t.open[static_cast<std::size_t>(fd)] = 1;
            if (!fds.empty())
                t.high_water = std::max(t.high_water, fds.back());
            t.stale = false;
            t.model_stale = true;
        }
        if (t.model_stale || !t.m) {
            t.m = make_model(!o_.quiet || !specs_.empty(), abis_);  // what-if reasons come from the trace
            for (std::size_t fd = 0; fd < t.open.size(); ++fd)
                if (t.open[fd] && !t.m->open_at(static_cast<int>(fd))) {
                    why = "model setup: cannot open a placeholder on fd " + std::to_string(fd);
                    return false;
                }
            t.model_stale = false;
        }
        int fd = t.lowest_free();
        for (int found = 0; found < (pair ? 2 : 1);) {
            // An fd being closed by another thread counts as free (it soon
            // is); if the kernel disagrees, that close is the race's evidence.
            if (const auto cl = t.closing.find(fd); cl != t.closing.end() && !in_close(cl->second))
                t.closing.erase(cl);  // that close has returned (the task has not stopped since)
            if (t.closing.contains(fd) || !fd_open_in(pid, fd)) {
                ++found;
                fd = t.lowest_free(fd + 1);
                continue;
            }
            // Made by a call the tool does not stop at (open, pipe, dup, accept...).
            t.set(fd);
            if (!t.m->open_at(fd)) {
                why = "model setup: cannot open a placeholder on fd " + std::to_string(fd);
                t.model_stale = true;
                return false;
            }
            t.note(pid, "fd " + std::to_string(fd) + " found open");
            fd = t.lowest_free(fd + 1);
        }
        return true;
    }

    // /proc/PID/status once, then again only after a call that may change
    // the task's credentials (credentials are per thread: only the task's
    // own calls change them).
    bool status_of(int pid, status_info& s, std::string& why)
    {
        if (const auto it = creds_.find(pid); it != creds_.end()) {
            s = it->second;
            return true;
        }
        if (!read_status(pid, s, why))
            return false;
        creds_[pid] = s;
        return true;
    }

    // A pidfd of thread group `tgid`, kept open while it lives.
    int pidfd_of(int tgid)
    {
        if (const auto it = pidfds_.find(tgid); it != pidfds_.end())
            return it->second;
        const int fd = static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0));
        if (fd >= 0) {
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            pidfds_[tgid] = fd;
        }
        return fd;
    }

    bool ping_undecidable(const call_view& v) const
    {
        if (!ns_.tool_in_child_userns())
            return false;
        const auto& r = v.sysctl.ping_group_range;
        if (ns_.unmapped(r.low) || ns_.unmapped(r.high) || ns_.unmapped(v.cred.egid))
            return true;
        return std::any_of(v.cred.group_info.begin(), v.cred.group_info.end(),
                           [&](sm::kgid_t g) { return ns_.unmapped(g); });
    }

    // When the model and the kernel differ in fd numbers only, and another
    // task of the same table changed it between entry and exit: the evidence
    // (empty otherwise: then a difference is a disagreement).
    std::string race_evidence(const call_record& c, int ret, const std::vector<fd_attrs>& kfds,
                              const std::vector<int>& new_fds)
    {
        if (c.model.ret == ret && c.model.fds == kfds)
            return "";
        const bool both_ok = c.pair ? (ret == 0 && c.model.ret == 0) : (ret >= 0 && c.model.ret >= 0);
        if (!both_ok || kfds.size() != c.model.fds.size() || c.table->tasks < 2)
            return "";
        for (std::size_t i = 0; i < kfds.size(); ++i) {
            fd_attrs a = kfds[i], b = c.model.fds[i];
            if (static_cast<unsigned long>(a.fd) >= c.nofile_cur)
                return "";  // the model would have said EMFILE there
            a.fd = b.fd = 0;
            if (!(a == b))
                return "";
        }
        std::string ev = c.in_flight;
        for (const table_change& ch : c.table->log)
            if (ch.seq > c.seq_at_entry && ch.pid != c.pid)
                append_item(ev, "; ", ch.what, " by [pid ", std::to_string(ch.pid), "]");
        // Each differing number must be explained by the evidence: another
        // task's socket()/socketpair() under way (in the model its fds are
        // taken from entry to exit), or a change that names the kernel's or
        // the model's number (a close of it, a call that returned it, an fd
        // found open), or the model's number open now by another's call.
        const bool other_call_under_way = c.in_flight.find("socket") != std::string::npos;
        auto names = [&](int fd) {
            const std::string n = std::to_string(fd);
            const std::string forms[] = {"(" + n + ")", "= " + n, ", " + n, "fd " + n + " ", "close_range("};
            return std::any_of(std::begin(forms), std::end(forms),
                               [&](const std::string& f) { return ev.find(f) != std::string::npos; });
        };
        // (socketpair's second fd is the lowest free after the first: once the
        // first difference is explained, the second follows from it.)
        for (std::size_t i = 0; i < kfds.size(); ++i) {
            const int k = kfds[i].fd, m = c.model.fds[i].fd;
            if (k == m)
                continue;
            if (other_call_under_way || names(k) || names(m))
                break;
            if (std::find(new_fds.begin(), new_fds.end(), m) == new_fds.end() && fd_open_in(c.pid, m))
                break;
            // The kernel passed over the model's number, free at entry (the
            // model took the lowest free then) and free again now: alloc_fd
            // takes the lowest free number, so another task of the table held
            // it in between, by calls the tool does not stop at (open() then
            // close(), say) and left no other trace.
            if (k > m && std::find(new_fds.begin(), new_fds.end(), m) == new_fds.end() && !fd_open_in(c.pid, m)) {
                append_item(ev, "; ", "fd ", std::to_string(m), " held by another thread meanwhile (free at entry and at exit; ",
                            std::to_string(c.table->tasks), " tasks share the table)");
                break;
            }
            return "";
        }
        // Fds the model gave that another task took meanwhile (by a call the
        // tool does not stop at).
        for (const fd_attrs& f : c.model.fds)
            if (std::find(new_fds.begin(), new_fds.end(), f.fd) == new_fds.end() && fd_open_in(c.pid, f.fd) &&
                ev.find("= " + std::to_string(f.fd)) == std::string::npos)
                append_item(ev, "; ", "fd ", std::to_string(f.fd), " opened by another thread meanwhile");
        return ev;
    }

    void report(const call_record& c, int ret, const std::vector<fd_attrs>& kfds, const std::string& evidence)
    {
        ++calls_;
        ++(c.pair ? pairs_ : sockets_);
        verdict v = verdict::not_modelled;
        if (!c.not_modelled) {
            if (c.model.ret == ret && c.model.fds == kfds)
                v = verdict::agree;
            else
                v = evidence.empty() ? verdict::disagree : verdict::race;
        }
        ++(v == verdict::agree      ? agree_
           : v == verdict::disagree ? disagree_
           : v == verdict::race     ? race_
                                    : not_modelled_);

        const std::string args = sm::trace::decode_socket_args<host_abi, families::list>(c.family, c.type, c.protocol);
        std::string call = std::string(c.pair ? "socketpair" : "socket") + "(" + args;
        if (c.pair)
            call += ret == 0 && kfds.size() == 2
                        ? ", [" + std::to_string(kfds[0].fd) + ", " + std::to_string(kfds[1].fd) + "]"
                        : ", " + to_hex(c.sv_addr);
        call += ")";
        std::string verdict_text;
        if (v == verdict::agree) {
            verdict_text = "agree";
        } else if (v == verdict::not_modelled) {
            verdict_text = "not modelled: " + *c.not_modelled;
        } else {
            verdict_text = std::string(v == verdict::race ? "race" : "DISAGREE") + ": model " +
                           mismatch(c.model.ret, c.model.fds, kfds, c.pair) + " kernel " +
                           mismatch(ret, kfds, c.model.fds, c.pair);
            if (v == verdict::race)
                verdict_text += " (the table changed during the call: " + evidence + ")";
        }

        // What-if answers are set beside the kernel's only where the model
        // agreed with it; in a race (fd numbers only), beside the model's.
        std::string wi_json, wi_text;
        if (!c.whatif.empty() && v == verdict::agree)
            wi_text = whatif_report(c, ret, kfds, wi_json);
        else if (!c.whatif.empty() && v == verdict::race)  // fd numbers from the model's table, as the what-ifs'
            wi_text = whatif_report(c, c.model.ret, c.model.fds, wi_json);
        else if (!specs_.empty())
            wi_text = "  what-if: not answered (" +
                      std::string(v == verdict::disagree ? "the model did not agree with the kernel here"
                                  : c.not_modelled       ? "the call is not modelled"
                                                         : "ping_group_range and the task's gids are not mapped in the tool's user namespace") +
                      ")\n";
        if (v == verdict::agree && (c.pair ? ret == 0 : ret >= 0)) {
            for (const std::string& n : c.needs)
                needed_[n].insert(call);
            needed_caps_ |= c.needs_caps;
            if (!c.pair)
                needed_families_.insert(c.needs_families.begin(), c.needs_families.end());
            if (c.needs_nofile > needed_nofile_) {  // only the call that needs the most headroom
                needed_nofile_ = c.needs_nofile;
                nofile_call_ = call;
            }
            if (c.needs_file_max > needed_file_max_) {
                needed_file_max_ = c.needs_file_max;
                file_max_call_ = call;
                file_max_nr_ = c.nr_files;
            }
        }

        std::string text;
        if (o_.format == output_format::json) {
            text = "{\"pid\":" + std::to_string(c.pid) + ",\"call\":\"" + (c.pair ? "socketpair" : "socket") +
                   "\",\"text\":" + sm::trace::detail::json_string(call + " = " + strace_result(ret)) +
                   ",\"args\":[" + std::to_string(c.family) + "," + std::to_string(c.type) + "," +
                   std::to_string(c.protocol) + "],\"kernel\":" + outcome_json(ret, kfds) + ",\"model\":" +
                   (c.not_modelled ? std::string("null") : outcome_json(c.model.ret, c.model.fds)) +
                   ",\"verdict\":\"" + verdict_name(v) + "\"";
            if (c.not_modelled)
                text += ",\"reason\":" + sm::trace::detail::json_string(*c.not_modelled);
            if (v == verdict::race)
                text += ",\"race\":" + sm::trace::detail::json_string(evidence);
            if (!specs_.empty())
                text += ",\"what_if\":[" + wi_json + "]";
            if (!o_.quiet) {
                std::string events = sm::trace::render_jsonl(c.model.events);
                std::string joined;
                std::istringstream lines(events);
                for (std::string l; std::getline(lines, l);)
                    append_item(joined, ",", l);
                text += ",\"events\":[" + joined + "]";
            }
            text += "}";
            if (o_.json_lines) {
                text += "\n";
            } else {
                text = (first_ ? "{\"calls\":[\n" : ",\n") + text;
                first_ = false;
            }
        } else {
            text = "[pid " + std::to_string(c.pid) + "] " + call + " = " + strace_result(ret) + " " + verdict_text +
                   "\n";
            text += wi_text;
            if (!o_.quiet)
                text += sm::trace::render_tree(c.model.events);
        }
        std::fputs(text.c_str(), out_);
        if (!o_.quiet)
            std::fflush(out_);
    }

    // The outcome, and the attributes of the fds that differ from `other`'s.
    static std::string mismatch(int ret, const std::vector<fd_attrs>& fds, const std::vector<fd_attrs>& other,
                                bool pair)
    {
        std::string s = outcome_text(ret, fds, pair);
        for (std::size_t i = 0; i < fds.size(); ++i)
            if (i >= other.size() || !(fds[i] == other[i])) {
                s += ' ';  // not " " + temporary: GCC 12's -O3 -Wrestrict false positive (PR 105329)
                s += attrs_text(fds[i]);
            }
        return s;
    }

    static std::string to_hex(unsigned long long v)
    {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%#llx", v);
        return buf;
    }

    const options& o_;
    std::FILE* out_;
    ns_reader ns_;
    std::map<int, std::shared_ptr<fd_table>> tables_;
    std::map<int, call_record> pending_;
    std::map<int, std::pair<std::shared_ptr<fd_table>, int>> closing_;  // task → (table, fd) of its close() under way
    std::map<int, status_info> creds_;  // task → its /proc status as last read
    std::map<int, int> pidfds_;         // thread group → pidfd
    bool first_ = true;  // --format json: no call printed yet
    int calls_ = 0, sockets_ = 0, pairs_ = 0, agree_ = 0, disagree_ = 0, race_ = 0, not_modelled_ = 0;
    // --what-if
    std::vector<whatif_spec> specs_;
    std::vector<model_tweak> tweaks_;
    struct whatif_count {
        int differ = 0;  // calls whose answer would differ
        int first = 0;   // of them, first differences of a process (certain)
    };
    std::vector<whatif_count> wcount_;
    std::map<int, std::set<std::size_t>> diverged_;   // tgid → SPECs it has differed in
    std::map<int, std::set<std::size_t>> inherited_;  // task → SPECs its creator had differed in
    // --needs
    struct needs_entry {
        std::vector<std::string> needs;
        std::uint64_t caps = 0;
        std::vector<int> families;
    };
    std::map<std::string, needs_entry> needs_cache_;
    std::map<std::string, std::set<std::string>> needed_;  // privilege → the calls that need it
    std::uint64_t needed_caps_ = 0;
    std::set<int> needed_families_;  // by socket(): RestrictAddressFamilies= does not filter socketpair()
    int needed_nofile_ = 0;
    std::string nofile_call_;  // the call that got the highest fd
    long needed_file_max_ = 0;
    std::string file_max_call_;  // the call that needed the most fs.file-max
    long file_max_nr_ = 0;       // the files in use at that call
    // --what-if abi=: the ABIs asked for (each table gets a model of each)
    std::vector<std::string> abis_;
    int file_nr_fd_ = -1;  // /proc/sys/fs/file-nr
};

// ---------------------------------------------------------------------------
// The child

// What the child tells the parent through a close-on-exec pipe when it fails
// before the program runs: which step, and errno.
struct child_report {
    int step = 0;  // 1 PTRACE_TRACEME, 2 exec
    int err = 0;
};

// The file a shell would run for `name`: as is when it has a '/', else the
// first executable regular file in $PATH (default "/bin:/usr/bin"), else the
// first regular file there (so exec says EACCES, "Permission denied"), else
// "" (not found). Directories the caller cannot search are skipped, as bash
// does; execvp would report EACCES for them instead of "not found".
std::string find_program(const std::string& name)
{
    if (name.find('/') != std::string::npos)
        return name;
    const char* env = std::getenv("PATH");
    const std::string dirs = env ? env : "/bin:/usr/bin";
    std::string first_file;
    std::size_t pos = 0;
    while (pos <= dirs.size()) {
        std::size_t colon = dirs.find(':', pos);
        if (colon == std::string::npos)
            colon = dirs.size();
        const std::string dir = dirs.substr(pos, colon - pos);
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            if (::access(candidate.c_str(), X_OK) == 0)
                return candidate;
            if (first_file.empty())
                first_file = candidate;
        }
        pos = colon + 1;
    }
    return first_file;
}

// The seccomp filter: SECCOMP_RET_TRACE for the calls the tool must see,
// SECCOMP_RET_ALLOW for the rest. Calls of another ABI (i386, x32) all stop:
// their numbers differ, and the tracer handles what it knows.
void install_filter()
{
    constexpr unsigned nr_off = offsetof(seccomp_data, nr), arch_off = offsetof(seccomp_data, arch);
    // socket, socketpair: compared. close, close_range, unshare(CLONE_FILES):
    // the descriptor table. unshare, set*id, setgroups, capset, setns: the
    // credentials the tool keeps between calls.
    const unsigned traced[] = {SYS_socket,    SYS_socketpair, SYS_close,    SYS_close_range, SYS_unshare,
                               SYS_setuid,    SYS_setgid,     SYS_setreuid, SYS_setregid,    SYS_setresuid,
                               SYS_setresgid, SYS_setfsuid,   SYS_setfsgid, SYS_setgroups,   SYS_capset,
                               SYS_setns};
    std::vector<sock_filter> f;
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arch_off));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, nr_off));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000U, 0, 1));  // __X32_SYSCALL_BIT
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
    for (std::size_t i = 0; i < std::size(traced); ++i) {
        const auto to_trace = static_cast<unsigned char>(std::size(traced) - i);  // to the RET_TRACE below
        f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, traced[i], to_trace, 0));
    }
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
    const sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
    if (std::getenv("SOCKMODEL_TRACE_NO_SECCOMP"))
        return;
    // Without CAP_SYS_ADMIN in its user namespace a process may install a
    // filter only with no_new_privs set (which an unprivileged tracer's
    // program has in effect anyway: ptrace already keeps setuid and file
    // capabilities from taking effect for it).
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0 && errno == EACCES) {
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
    }
}

[[noreturn]] void child_main(const options& o, int report_fd)
{
    auto fail = [&](int step) {
        const child_report r{step, errno};
        [[maybe_unused]] const ssize_t n = ::write(report_fd, &r, sizeof r);
        ::_exit(127);
    };
    if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0)
        fail(1);
    ::raise(SIGSTOP);  // the tracer sets its options, then lets us exec
    install_filter();  // the tracer sees whether it took (the seccomp() exit stop)
    std::vector<char*> argv;
    for (const std::string& a : o.program)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string path = find_program(o.program[0]);
    if (path.empty()) {
        errno = ENOENT;
        fail(2);
    }
    ::execv(path.c_str(), argv.data());
    if (errno == ENOEXEC) {  // a script without #!: sh runs it, as execvp and shells do
        std::vector<char*> sh_argv{const_cast<char*>("sh"), const_cast<char*>(path.c_str())};
        sh_argv.insert(sh_argv.end(), argv.begin() + 1, argv.end());
        ::execv("/bin/sh", sh_argv.data());
        errno = ENOEXEC;
    }
    fail(2);
    ::_exit(127);  // not reached: fail() exits
}

[[noreturn]] void ptrace_refused(int err)
{
    // EPERM: Yama's ptrace_scope 3 (where Yama is), a seccomp filter, or this
    // process is itself already being traced (a tracee cannot trace its own
    // children).
    struct stat st {};
    const bool yama = ::stat("/proc/sys/kernel/yama/ptrace_scope", &st) == 0;
    std::string msg = std::string("ptrace is not permitted here (PTRACE_TRACEME: ") +
                      std::string(sm::errno_name(-err)) + "): ";
    if (yama)
        msg += "allow it with `sysctl kernel.yama.ptrace_scope=1` (or 0; 3 forbids it until reboot), ";
    msg += "run with CAP_SYS_PTRACE or as the program's own user, outside a seccomp filter that blocks ptrace "
           "and not under another tracer";
    bad(msg);
}

// ---------------------------------------------------------------------------
// Signals for the program

pid_t g_child = 0;
volatile sig_atomic_t g_forwarded = 0;

// What /proc/PID/status says of `sig`: pending (SigPnd or ShdPnd), and
// whether the task is in a ptrace stop ("State: t"). Async-signal-safe:
// open/read and plain parsing.
struct sig_state {
    bool pending = false, traced_stop = false;
};

sig_state sig_state_of(pid_t pid, int sig)
{
    sig_state st;
    char path[64];
    // "/proc/%d/status" by hand (snprintf is not async-signal-safe)
    char digits[16];
    int n = 0;
    for (pid_t p = pid; p > 0 && n < 15; p /= 10)
        digits[n++] = static_cast<char>('0' + p % 10);
    std::size_t at = 0;
    for (const char* s = "/proc/"; *s; ++s)
        path[at++] = *s;
    while (n > 0)
        path[at++] = digits[--n];
    for (const char* s = "/status"; *s; ++s)
        path[at++] = *s;
    path[at] = '\0';
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return st;
    char buf[4096];
    const ssize_t len = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (len <= 0)
        return st;
    buf[len] = '\0';
    if (const char* state = std::strstr(buf, "\nState:")) {
        state += std::strlen("\nState:");
        while (*state == '\t' || *state == ' ')
            ++state;
        st.traced_stop = *state == 't';
    }
    const std::uint64_t bit = std::uint64_t{1} << (sig - 1);
    for (const char* key : {"\nSigPnd:", "\nShdPnd:"}) {
        const char* p = std::strstr(buf, key);
        if (!p)
            continue;
        p += std::strlen(key);
        while (*p == '\t' || *p == ' ')
            ++p;
        std::uint64_t v = 0;
        for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); ++p)
            v = v * 16 + static_cast<std::uint64_t>(*p <= '9' ? *p - '0' : *p - 'a' + 10);
        if (v & bit)
            st.pending = true;
    }
    return st;
}

// When the tracer last saw the program stop for each signal (monotonic ns).
volatile std::int64_t g_last_delivery[65] = {};

std::int64_t now_ns()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A signal whose forwarding waits for the program's pending ptrace stop to
// be seen (it may be the delivery of that very signal).
volatile sig_atomic_t g_deferred = 0;
volatile std::int64_t g_deferred_at = 0;

// SIGINT, SIGTERM, SIGHUP, SIGQUIT to the tool: to the program, unless it
// has it already (a signal to the process group, or from the terminal,
// reaches it too): pending there, or delivered within the last 100 ms. When
// the program sits in a ptrace stop the tracer has not collected yet, that
// stop may be this signal's delivery: decided once it is collected.
void on_fatal_signal(int sig)
{
    const int saved = errno;
    g_forwarded = sig;
    if (g_child > 0) {
        const sig_state st = sig_state_of(g_child, sig);
        if (st.traced_stop && !st.pending) {
            g_deferred_at = now_ns();
            g_deferred = sig;
        } else if (!st.pending && now_ns() - g_last_delivery[sig] > 100000000) {
            ::kill(g_child, sig);
        }
    }
    errno = saved;
}

// After a stop of the program is collected: a deferred signal goes to it
// unless that stop was its delivery or it is pending there.
void settle_deferred()
{
    const int sig = g_deferred;
    if (sig == 0)
        return;
    g_deferred = 0;
    if (g_last_delivery[sig] >= g_deferred_at - 100000000)
        return;
    if (!sig_state_of(g_child, sig).pending)
        ::kill(g_child, sig);
}

const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void catch_signals()
{
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (int s : forwarded_signals)
        sigaddset(&sa.sa_mask, s);
    sa.sa_flags = 0;  // no SA_RESTART: waitpid returns EINTR
    for (int s : forwarded_signals)
        ::sigaction(s, &sa, nullptr);
}

// Seccomp_filters of /proc/PID/status (-1 if unknown).
int seccomp_filters(const std::string& status_path)
{
    std::string text;
    if (!read_small(status_path.c_str(), text))
        return -1;
    const std::size_t at = field(text, "\nSeccomp_filters:");
    return at == std::string::npos ? -1 : std::atoi(text.c_str() + at);
}

// NoNewPrivs of /proc/PID/status.
bool no_new_privs(int pid)
{
    std::string text;
    if (!read_small(proc_path(pid, "status").c_str(), text))
        return false;
    const std::size_t at = field(text, "\nNoNewPrivs:");
    return at != std::string::npos && std::atoi(text.c_str() + at) == 1;
}

// Once per exec: a program with file capabilities does not get them under
// ptrace (unless the tracer holds CAP_SYS_PTRACE) nor with no_new_privs.
void warn_file_caps(int pid, bool filtered_with_nnp)
{
    const std::uint64_t caps = file_caps(pid);
    if (caps == 0)
        return;
    status_info s;
    std::string why;
    if (!read_status(pid, s, why) || (s.cred.cap_effective.val & caps) == caps)
        return;  // it holds them anyway (e.g. root)
    char exe[4096];
    const ssize_t n = ::readlink(proc_path(pid, "exe").c_str(), exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const std::uint64_t missing = caps & ~s.cred.cap_effective.val;
    const bool raw = missing >> static_cast<unsigned>(sm::capability::net_raw) & 1U;
    std::fprintf(stderr,
                 "sockmodel-trace: warning: [pid %d] %s has file capabilities (%s) that it does not get while "
                 "traced (ptrace%s): calls that need %s fail here%s but would succeed untraced; the model is "
                 "given the credentials the program really has\n",
                 pid, exe, cap_names(caps).c_str(),
                 filtered_with_nnp ? " and no_new_privs" : " by a tracer without CAP_SYS_PTRACE",
                 cap_names(missing).c_str(),
                 raw ? " (e.g. socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) = -1 EPERM, AF_PACKET sockets)" : "");
}

}  // namespace

int run_program(const options& o)
{
    std::FILE* out = stdout;
    if (o.output_file) {
        out = std::fopen(o.output_file->c_str(), "we");
        if (!out)
            bad("cannot open " + *o.output_file + ": " + std::strerror(errno));
    }
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    std::fflush(nullptr);
    const pid_t child = ::fork();
    if (child < 0)
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (child == 0) {
        ::close(pipe_fds[0]);
        child_main(o, pipe_fds[1]);
    }
    ::close(pipe_fds[1]);

    int status = 0;
    if (::waitpid(child, &status, 0) != child)
        throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    if (!WIFSTOPPED(status)) {  // PTRACE_TRACEME failed: the child reported and exited
        child_report r;
        if (::read(pipe_fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r) && r.step == 1)
            ptrace_refused(r.err);
        throw std::runtime_error("the child ended before it could be traced");
    }
    const long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                      PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP;
    if (::ptrace(PTRACE_SETOPTIONS, child, nullptr, reinterpret_cast<void*>(opts)) != 0) {
        const int err = errno;
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        if (err == EPERM)
            ptrace_refused(err);
        throw std::runtime_error(std::string("PTRACE_SETOPTIONS: ") + std::strerror(err));
    }
    g_child = child;
    catch_signals();
    const int own_filters = seccomp_filters("/proc/self/status");

    tracer tr(o, out);
    std::set<pid_t> known{child};
    // Until the first exec shows whether the filter took, every call stops.
    bool filtered = false;
    std::set<pid_t> to_exit;  // resumed from a seccomp stop to see the call's exit
    int exit_status = 0, exit_signal = 0;
    pid_t resume = child;
    int resume_sig = 0;
    // At a seccomp stop the call is in info.seccomp, laid out as info.entry.
    static_assert(offsetof(__ptrace_syscall_info, seccomp.nr) == offsetof(__ptrace_syscall_info, entry.nr) &&
                  offsetof(__ptrace_syscall_info, seccomp.args) == offsetof(__ptrace_syscall_info, entry.args));
    // The calls that change a table, at their entry (seccomp or syscall
    // stop); true when the call's exit must be seen too.
    auto on_entry = [&](pid_t pid, const __ptrace_syscall_info& info) {
        if (info.arch != AUDIT_ARCH_X86_64)
            return false;
        const auto& a = info.entry.args;
        switch (info.entry.nr) {
        case SYS_socket:
        case SYS_socketpair: {
            unsigned long long args[6];
            for (int i = 0; i < 6; ++i)
                args[i] = a[i];
            tr.on_entry(pid, info.entry.nr == SYS_socketpair, args);
            return true;
        }
        case SYS_close:
            tr.on_close(pid, static_cast<int>(a[0]));
            return false;
        case SYS_close_range:
            tr.on_close_range(pid, static_cast<unsigned>(a[0]), static_cast<unsigned>(a[1]),
                              static_cast<unsigned>(a[2]));
            return false;
        case SYS_unshare:
            if (a[0] & clone_files)
                tr.new_table(pid);
            tr.creds_changed(pid);  // CLONE_NEWUSER: a full set of capabilities in the new namespace
            return false;
        case SYS_setuid:
        case SYS_setgid:
        case SYS_setreuid:
        case SYS_setregid:
        case SYS_setresuid:
        case SYS_setresgid:
        case SYS_setfsuid:
        case SYS_setfsgid:
        case SYS_setgroups:
        case SYS_capset:
        case SYS_setns:
            tr.creds_changed(pid);
            return false;
        default:
            return false;
        }
    };
    for (;;) {
        if (resume > 0) {
            const bool step = !filtered || to_exit.contains(resume);
            ::ptrace(step ? PTRACE_SYSCALL : PTRACE_CONT, resume, nullptr,
                     reinterpret_cast<void*>(static_cast<long>(resume_sig)));
        }
        resume = 0;
        resume_sig = 0;
        const pid_t pid = ::waitpid(-1, &status, __WALL);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;  // ECHILD: every traced task is gone
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            known.erase(pid);
            to_exit.erase(pid);
            tr.task_gone(pid);
            if (pid == child) {
                exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                exit_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            }
            continue;
        }
        if (!WIFSTOPPED(status))
            continue;
        resume = pid;
        struct settle_after {  // once this stop is handled (its delivery time noted)
            pid_t pid, child;
            ~settle_after()
            {
                if (pid == child)
                    settle_deferred();
            }
        } settle{pid, child};
        const int sig = WSTOPSIG(status);
        const int event = status >> 16;
        if (!known.contains(pid)) {
            known.insert(pid);  // a new fork/vfork/clone child's first (attach) stop
            if (sig == SIGSTOP)
                continue;
        }
        tr.seen(pid);
        if (sig == (SIGTRAP | 0x80)) {  // a syscall stop: entry or exit
            __ptrace_syscall_info info{};
            if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, reinterpret_cast<void*>(sizeof info), &info) <= 0)
                continue;
            if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
                on_entry(pid, info);
            } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
                to_exit.erase(pid);
                tr.on_exit(pid, static_cast<long>(info.exit.rval));
            }
            continue;
        }
        if (sig == SIGTRAP && event == PTRACE_EVENT_SECCOMP) {
            __ptrace_syscall_info info{};
            if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, reinterpret_cast<void*>(sizeof info), &info) <= 0)
                continue;
            if (info.op == PTRACE_SYSCALL_INFO_SECCOMP && on_entry(pid, info))
                to_exit.insert(pid);
            continue;
        }
        if (sig == SIGTRAP && event != 0) {  // a fork/vfork/clone/exec event stop
            unsigned long msg = 0;
            ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &msg);
            if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
                tr.on_new_task(pid, static_cast<int>(msg));
            } else if (event == PTRACE_EVENT_EXEC) {
                if (static_cast<pid_t>(msg) != pid)
                    tr.task_gone(static_cast<int>(msg));  // a thread's exec: it now has the leader's pid
                tr.new_table(pid);
                tr.creds_changed(pid);
                if (pid == child && !filtered) {
                    const int mine = seccomp_filters(proc_path(pid, "status"));
                    filtered = mine > own_filters && own_filters >= 0;
                }
                warn_file_caps(pid, filtered && no_new_privs(pid));
            }
            continue;
        }
        // A signal for the task: deliver it, unless this is a group-stop
        // (PTRACE_GETSIGINFO fails for those), which is resumed as is.
        siginfo_t si{};
        if (::ptrace(PTRACE_GETSIGINFO, pid, nullptr, &si) == 0) {
            resume_sig = sig;
            if (sig > 0 && sig < 65)
                g_last_delivery[sig] = now_ns();
        }
    }

    child_report r;
    const bool exec_failed = ::read(pipe_fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r) && r.step == 2;
    ::close(pipe_fds[0]);
    if (exec_failed) {
        tr.finish_json();
        std::fflush(out);
        if (out != stdout)
            std::fclose(out);
        // As a shell says it: 127 not found, 126 found but not executable.
        const std::string& prog = o.program[0];
        const bool not_found = r.err == ENOENT;
        if (not_found && prog.find('/') == std::string::npos)
            std::fprintf(stderr, "sockmodel-trace: %s: command not found\n", prog.c_str());
        else
            std::fprintf(stderr, "sockmodel-trace: %s: %s\n", prog.c_str(), std::strerror(r.err));
        return not_found ? 127 : 126;
    }
    tr.summary();
    std::fflush(out);
    if (out != stdout)
        std::fclose(out);
    if (o.strict && (tr.any_disagree() || tr.any_whatif_differs()))
        return 1;
    if (exit_signal != 0 && exit_signal != SIGKILL && exit_signal != SIGSTOP) {
        // Die of the same signal, as strace does, so a shell sees it (no core).
        std::fflush(nullptr);
        const rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        ::signal(exit_signal, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, exit_signal);
        ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
        ::raise(exit_signal);
    }
    return exit_status;
}

}  // namespace sockmodel_trace
