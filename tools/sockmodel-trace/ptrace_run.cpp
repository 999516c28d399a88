// -- PROGRAM: the tracer. See ptrace_run.hpp.
//
// How the calling task is read at a socket()/socketpair() entry stop (the
// task is stopped, so what /proc shows is what the kernel will see):
//   credentials    /proc/PID/status Uid, Gid (real, effective, saved, fs),
//                  Groups and CapEff, as seen from the tracer's user namespace
//   RLIMIT_NOFILE  prlimit(PID); /proc/PID/limits when prlimit is refused (it
//                  needs the same uids or CAP_SYS_RESOURCE, which root here lacks)
//   open fds       /proc/PID/fd: the model opens placeholder sockets on exactly
//                  those numbers, so its lowest free fd is the task's
//   user namespace /proc/PID/ns/user against the tracer's own: a different one
//                  whose parent (NS_GET_PARENT) is the tracer's is modelled as
//                  unshare(CLONE_NEWUSER); deeper nesting is not modelled
//   network ns     /proc/PID/ns/net against the tracer's; its owner
//                  (NS_GET_USERNS) must be the tracer's or the task's user
//                  namespace (unshare(CLONE_NEWNET) in the model)
//   sysctls        ping_group_range, mptcp.enabled, ipv6.bindv6only and
//                  core.[rw]mem_default. /proc/sys/net shows the network
//                  namespace of the *reading thread*, not of the /proc mount
//                  (so /proc/PID/root/proc/sys/... would give the tracer's
//                  values): when the task's netns is the tracer's they are read
//                  directly, otherwise a helper thread setns()es into
//                  /proc/PID/ns/net and reads them there (needs CAP_SYS_ADMIN;
//                  without it the call is "not modelled").
// At the exit stop: the return value; socketpair's sv[] by PTRACE_PEEKDATA;
// for each new fd a duplicate through pidfd_open(Tgid) + pidfd_getfd(2) gives
// F_GETFL, SO_TYPE, SO_PROTOCOL and SO_DOMAIN, and F_GETFD comes from the
// "flags:" line of /proc/PID/fdinfo/FD (O_CLOEXEC there is the fd's
// close-on-exec bit; the duplicate's own F_GETFD is always FD_CLOEXEC).
#include "ptrace_run.hpp"

#include "model_run.hpp"
#include "output.hpp"

#include <sockmodel/arch/host.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/render.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sockmodel_trace {

namespace {

namespace sm = sockmodel;
using host_abi = sm::arch::host;

// ---------------------------------------------------------------------------
// Reading the task

std::string read_file(const std::string& path, bool& ok)
{
    std::ifstream in(path);
    ok = static_cast<bool>(in);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct status_info {
    sm::cred cred;
    int tgid = 0;
};

bool read_status(int pid, status_info& s, std::string& why)
{
    bool ok = false;
    const std::string text = read_file("/proc/" + std::to_string(pid) + "/status", ok);
    if (!ok) {
        why = "cannot read /proc/" + std::to_string(pid) + "/status";
        return false;
    }
    std::istringstream in(text);
    std::string line;
    int seen = 0;
    while (std::getline(in, line)) {
        std::istringstream l(line);
        std::string key;
        l >> key;
        if (key == "Uid:") {
            l >> s.cred.uid >> s.cred.euid >> s.cred.suid >> s.cred.fsuid;
            ++seen;
        } else if (key == "Gid:") {
            l >> s.cred.gid >> s.cred.egid >> s.cred.sgid >> s.cred.fsgid;
            ++seen;
        } else if (key == "Groups:") {
            sm::kgid_t g = 0;
            while (l >> g)
                s.cred.group_info.push_back(g);
            ++seen;
        } else if (key == "CapEff:") {
            std::string hex;
            l >> hex;
            s.cred.cap_effective.val = std::stoull(hex, nullptr, 16);
            ++seen;
        } else if (key == "Tgid:") {
            l >> s.tgid;
            ++seen;
        }
    }
    if (seen != 5) {
        why = "/proc/" + std::to_string(pid) + "/status lacks Uid/Gid/Groups/CapEff/Tgid";
        return false;
    }
    std::sort(s.cred.group_info.begin(), s.cred.group_info.end());  // groups_sort
    return true;
}

bool read_open_fds(int pid, std::vector<int>& fds, std::string& why)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/fd";
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
    bool ok = false;
    const std::string text = read_file("/proc/" + std::to_string(pid) + "/limits", ok);
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

// The inode number of a namespace file (its identity), 0 if unreadable.
ino_t ns_ino(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

ino_t fd_ino(int fd)
{
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

// ioctl(fd, NS_GET_PARENT or NS_GET_USERNS) → the inode of the answer.
ino_t ns_relative(const std::string& path, unsigned long request)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    const int rel = ::ioctl(fd, request);
    ::close(fd);
    if (rel < 0)
        return 0;
    const ino_t ino = fd_ino(rel);
    ::close(rel);
    return ino;
}

// The net.* sysctls the model's socket path reads, from /proc/sys/net as the
// calling thread's network namespace shows them.
bool read_net_sysctls(sm::net_sysctl& s, std::string& why)
{
    bool ok = false, all = true;
    auto get = [&](const char* path) {
        const std::string v = read_file(path, ok);
        all = all && ok;
        return v;
    };
    std::istringstream ping(get("/proc/sys/net/ipv4/ping_group_range"));
    ping >> s.ping_group_range.low >> s.ping_group_range.high;
    const std::string mptcp = get("/proc/sys/net/mptcp/enabled");
    s.mptcp_enabled = ok && std::atoi(mptcp.c_str()) != 0;
    const std::string v6only = get("/proc/sys/net/ipv6/bindv6only");
    s.bindv6only = ok && std::atoi(v6only.c_str()) != 0;
    s.rmem_default = std::atoi(get("/proc/sys/net/core/rmem_default").c_str());
    s.wmem_default = std::atoi(get("/proc/sys/net/core/wmem_default").c_str());
    if (!all)
        why = "cannot read the net sysctls (ping_group_range, mptcp.enabled, ...)";
    return all;
}

// The same, in the network namespace of /proc/PID/ns/net: a helper thread
// enters it with setns (the tracer's other threads keep theirs).
bool read_net_sysctls_of(int pid, sm::net_sysctl& s, std::string& why)
{
    bool ok = false;
    std::thread helper([&] {
        const int fd = ::open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            why = "cannot open /proc/" + std::to_string(pid) + "/ns/net: " + std::strerror(errno);
            return;
        }
        if (::setns(fd, CLONE_NEWNET) != 0) {
            why = "cannot enter the task's network namespace to read its sysctls (setns: " +
                  std::string(std::strerror(errno)) + "; needs CAP_SYS_ADMIN)";
            ::close(fd);
            return;
        }
        ::close(fd);
        ok = read_net_sysctls(s, why);
    });
    helper.join();
    return ok;
}

struct tracer_ns {
    ino_t user = ns_ino("/proc/self/ns/user");
    ino_t net = ns_ino("/proc/self/ns/net");
};

// The model's view of task `pid`, or false with the reason it cannot be built.
bool read_task_view(int pid, const tracer_ns& self, task_view& v, int& tgid, std::string& why)
{
    status_info s;
    if (!read_status(pid, s, why) || !read_open_fds(pid, v.open_fds, why) ||
        !read_nofile(pid, v.nofile_cur, v.nofile_max, why))
        return false;
    v.cred = s.cred;
    tgid = s.tgid;
    const std::string ns = "/proc/" + std::to_string(pid) + "/ns/";
    const ino_t user = ns_ino(ns + "user"), net = ns_ino(ns + "net");
    if (user == 0 || net == 0) {
        why = "cannot read " + ns + "user or net";
        return false;
    }
    v.child_user_ns = user != self.user;
    if (v.child_user_ns && ns_relative(ns + "user", NS_GET_PARENT) != self.user) {
        why = "the task's user namespace is not a child of the tracer's (nested deeper)";
        return false;
    }
    v.other_net_ns = net != self.net;
    if (v.other_net_ns) {
        const ino_t owner = ns_relative(ns + "net", NS_GET_USERNS);
        if (owner != (v.child_user_ns ? user : self.user)) {
            why = "the task's network namespace is owned by a user namespace the model cannot build";
            return false;
        }
        return read_net_sysctls_of(pid, v.sysctl, why);
    }
    return read_net_sysctls(v.sysctl, why);
}

// F_GETFD/F_GETFL/SO_* of fd `fd` of the stopped task.
bool read_kernel_fd(int pid, int tgid, int fd, fd_attrs& a, std::string& why)
{
    a.fd = fd;
    bool ok = false;
    const std::string info = read_file("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd), ok);
    const std::size_t at = info.find("flags:");
    if (!ok || at == std::string::npos) {
        why = "cannot read /proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd);
        return false;
    }
    const unsigned long flags = std::stoul(info.substr(at + 6), nullptr, 8);
    a.fd_flags = (flags & O_CLOEXEC) ? FD_CLOEXEC : 0;

    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0));
    if (pidfd < 0) {
        why = std::string("pidfd_open: ") + std::strerror(errno);
        return false;
    }
    const int dup = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, fd, 0));
    const int dup_errno = errno;
    ::close(pidfd);
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

// ---------------------------------------------------------------------------
// One call

struct call_record {
    int pid = 0, tgid = 0;
    bool pair = false;
    int family = 0, type = 0, protocol = 0;
    unsigned long long sv_addr = 0;
    task_call_result model;
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
        out += (i ? "," : "") + attrs_json(fds[i]);
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

enum class verdict { agree, disagree, not_modelled };

class tracer {
public:
    explicit tracer(const options& o, std::FILE* out) : o_(o), out_(out) {}

    void on_entry(int pid, const __ptrace_syscall_info& info)
    {
        call_record c;
        c.pid = pid;
        c.pair = info.entry.nr == SYS_socketpair;
        // The int arguments as the kernel takes them: the low 32 bits.
        c.family = static_cast<int>(static_cast<std::uint32_t>(info.entry.args[0]));
        c.type = static_cast<int>(static_cast<std::uint32_t>(info.entry.args[1]));
        c.protocol = static_cast<int>(static_cast<std::uint32_t>(info.entry.args[2]));
        c.sv_addr = info.entry.args[3];
        task_view v;
        std::string why;
        if (!read_task_view(pid, self_, v, c.tgid, why)) {
            c.not_modelled = why;
        } else {
            c.model = run_model_for_task<host_abi>(v, c.pair, c.family, c.type, c.protocol);
            c.not_modelled = c.model.not_modelled;
        }
        pending_[pid] = std::move(c);
    }

    void on_exit(int pid, const __ptrace_syscall_info& info)
    {
        const auto it = pending_.find(pid);
        if (it == pending_.end())
            return;  // an exit without its entry (attached mid-call)
        call_record c = std::move(it->second);
        pending_.erase(it);
        const int ret = static_cast<int>(info.exit.rval);
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
            if (!read_kernel_fd(pid, c.tgid ? c.tgid : pid, fd, a, why) && !kernel_unread)
                kernel_unread = "cannot read the new fd " + std::to_string(fd) + ": " + why;
            kfds.push_back(a);
        }
        if (!c.not_modelled && kernel_unread)
            c.not_modelled = kernel_unread;
        report(c, ret, kfds);
    }

    int calls() const { return calls_; }

    void summary() const
    {
        std::string line = "sockmodel-trace: " + std::to_string(calls_) + " calls (socket " +
                           std::to_string(sockets_) + ", socketpair " + std::to_string(pairs_) +
                           "): " + std::to_string(agree_) + " agree, " + std::to_string(disagree_) + " disagree";
        if (not_modelled_)
            line += ", " + std::to_string(not_modelled_) + " not modelled";
        std::fflush(out_);
        std::fprintf(stderr, "%s\n", line.c_str());
    }

    bool any_disagree() const { return disagree_ != 0; }

private:
    void report(const call_record& c, int ret, const std::vector<fd_attrs>& kfds)
    {
        ++calls_;
        ++(c.pair ? pairs_ : sockets_);
        verdict v = verdict::not_modelled;
        if (!c.not_modelled)
            v = (c.model.ret == ret && c.model.fds == kfds) ? verdict::agree : verdict::disagree;
        ++(v == verdict::agree ? agree_ : v == verdict::disagree ? disagree_ : not_modelled_);

        const std::string args = sm::trace::decode_socket_args<host_abi, sm::default_families::list>(c.family, c.type, c.protocol);
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
            verdict_text = "DISAGREE: model " + mismatch(c.model.ret, c.model.fds, kfds, c.pair) + " kernel " +
                           mismatch(ret, kfds, c.model.fds, c.pair);
        }

        std::string text;
        if (o_.format == output_format::json) {
            text = "{\"pid\":" + std::to_string(c.pid) + ",\"call\":\"" + (c.pair ? "socketpair" : "socket") +
                   "\",\"text\":" + sm::trace::detail::json_string(call + " = " + strace_result(ret)) +
                   ",\"args\":[" + std::to_string(c.family) + "," + std::to_string(c.type) + "," +
                   std::to_string(c.protocol) + "],\"kernel\":" + outcome_json(ret, kfds) + ",\"model\":" +
                   (c.not_modelled ? std::string("null") : outcome_json(c.model.ret, c.model.fds)) +
                   ",\"verdict\":\"" +
                   (v == verdict::agree ? "agree" : v == verdict::disagree ? "disagree" : "not modelled") + "\"";
            if (c.not_modelled)
                text += ",\"reason\":" + sm::trace::detail::json_string(*c.not_modelled);
            if (!o_.quiet) {
                std::string events = sm::trace::render_jsonl(c.model.events);
                std::string joined;
                std::istringstream lines(events);
                for (std::string l; std::getline(lines, l);)
                    joined += (joined.empty() ? "" : ",") + l;
                text += ",\"events\":[" + joined + "]";
            }
            text += "}\n";
        } else {
            text = "[pid " + std::to_string(c.pid) + "] " + call + " = " + strace_result(ret) + " " + verdict_text +
                   "\n";
            if (!o_.quiet)
                text += sm::trace::render_tree(c.model.events);
        }
        std::fputs(text.c_str(), out_);
        std::fflush(out_);
    }

    // The outcome, and the attributes of the fds that differ from `other`'s.
    static std::string mismatch(int ret, const std::vector<fd_attrs>& fds, const std::vector<fd_attrs>& other,
                                bool pair)
    {
        std::string s = outcome_text(ret, fds, pair);
        for (std::size_t i = 0; i < fds.size(); ++i)
            if (i >= other.size() || !(fds[i] == other[i]))
                s += " " + attrs_text(fds[i]);
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
    tracer_ns self_;
    std::map<int, call_record> pending_;
    int calls_ = 0, sockets_ = 0, pairs_ = 0, agree_ = 0, disagree_ = 0, not_modelled_ = 0;
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
    // EPERM: Yama's ptrace_scope 3, a seccomp filter, or this process is
    // itself already being traced (a tracee cannot trace its own children).
    bad(std::string("ptrace is not permitted here (PTRACE_TRACEME: ") + std::string(sm::errno_name(-err)) +
        "): allow it with `sysctl kernel.yama.ptrace_scope=1` (or 0; 3 forbids it until reboot), run with "
        "CAP_SYS_PTRACE or as the program's own user, outside a seccomp filter that blocks ptrace and not "
        "under another tracer");
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
                      PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
    if (::ptrace(PTRACE_SETOPTIONS, child, nullptr, reinterpret_cast<void*>(opts)) != 0) {
        const int err = errno;
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        if (err == EPERM)
            ptrace_refused(err);
        throw std::runtime_error(std::string("PTRACE_SETOPTIONS: ") + std::strerror(err));
    }

    tracer tr(o, out);
    std::set<pid_t> known{child};
    int exit_status = 0;
    pid_t resume = child;
    int resume_sig = 0;
    for (;;) {
        if (resume > 0)
            ::ptrace(PTRACE_SYSCALL, resume, nullptr, reinterpret_cast<void*>(static_cast<long>(resume_sig)));
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
            if (pid == child)
                exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            continue;
        }
        if (!WIFSTOPPED(status))
            continue;
        resume = pid;
        const int sig = WSTOPSIG(status);
        if (!known.contains(pid)) {
            known.insert(pid);  // a new fork/vfork/clone child's first (attach) stop
            if (sig == SIGSTOP)
                continue;
        }
        if (sig == (SIGTRAP | 0x80)) {
            __ptrace_syscall_info info{};
            if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, reinterpret_cast<void*>(sizeof info), &info) <= 0)
                continue;
            if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
                if (info.arch == AUDIT_ARCH_X86_64 &&
                    (info.entry.nr == SYS_socket || info.entry.nr == SYS_socketpair))
                    tr.on_entry(pid, info);
            } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
                tr.on_exit(pid, info);
            }
            continue;
        }
        if (sig == SIGTRAP && (status >> 16) != 0)
            continue;  // a fork/vfork/clone/exec event stop
        // A signal for the task: deliver it, unless this is a group-stop
        // (PTRACE_GETSIGINFO fails for those), which is resumed as is.
        siginfo_t si{};
        if (::ptrace(PTRACE_GETSIGINFO, pid, nullptr, &si) == 0)
            resume_sig = sig;
    }

    child_report r;
    const bool exec_failed = ::read(pipe_fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r) && r.step == 2;
    ::close(pipe_fds[0]);
    if (out != stdout)
        std::fclose(out);
    if (exec_failed) {
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
    if (o.strict && tr.any_disagree())
        return 1;
    return exit_status;
}

}  // namespace sockmodel_trace
