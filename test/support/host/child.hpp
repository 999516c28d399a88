// A forked child that makes calls on the running kernel for a comparison with
// the model: run_in_child() forks and collects the child's report; inside it,
// shape_like_model_task() gives the process the model task's starting state
// (a fresh network namespace with its ping_group_range, only fds 0-2, the
// --fill-fds sockets, RLIMIT_NOFILE) and apply_credentials() switches to a
// model `cred` (setgroups, setresgid, setresuid, capset);
// enter_user_namespace() then unshares the user namespace (--as userns).
//
// Used by tools/sockmodel-trace (--compare-host) and test/support/live_kernel.hpp.
// Not installed; see test/support/CMakeLists.txt. Linux only.
#pragma once

#include "bytes.hpp"

#include <sockmodel/kernel/cred.hpp>

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sockmodel_host {

// A step of the child's setup failed. `err` is its errno, or 0 when the step
// failed without one (a check that did not hold).
struct setup_error : std::runtime_error {
    setup_error(const std::string& failed_step, int error)
        : std::runtime_error(error ? failed_step + ": " + std::strerror(error) : failed_step),
          step(failed_step),
          err(error)
    {
    }
    std::string step;
    int err;
};

// Throws setup_error for `step` with the current errno.
[[noreturn]] inline void setup_failed(const std::string& step)
{
    throw setup_error(step, errno ? errno : EINVAL);
}

// The child reported a failure instead of a result. status: 1 a setup_error
// (step and err set), 2 another exception, 3 something not a std::exception.
struct child_failure : std::runtime_error {
    child_failure(int st, int error, std::string failed_step, const std::string& message)
        : std::runtime_error("child failed (" + std::to_string(st) + "): " + message),
          status(st),
          step(std::move(failed_step)),
          err(error)
    {
    }
    int status;
    std::string step;
    int err;
};

// What the function run in the child gets: the sink for its report, and the
// pipe the report will go through (shape_like_model_task moves it).
struct child_context {
    int report_fd;
    byte_sink out;
};

// Runs fn(child_context&) in a forked child and returns what it put into
// `out`. The child never returns: it writes its report and _exit()s. The
// parent reaps it; it throws harness_error if the pipe, the fork or the child
// failed, and child_failure if fn threw.
template <class Fn>
std::vector<unsigned char> run_in_child(Fn&& fn)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        throw_errno("pipe2");
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int err = errno;
        ::close(p[0]);
        ::close(p[1]);
        throw_errno("fork", err);
    }
    if (pid == 0) {
        ::close(p[0]);
        child_context c{p[1], {}};
        std::int32_t status = 0;
        std::int32_t err = 0;
        std::string step;
        std::string message;
        try {
            fn(c);
        } catch (const setup_error& e) {
            status = 1;
            err = e.err;
            step = e.step;
            message = e.what();
        } catch (const std::exception& e) {
            status = 2;
            message = e.what();
        } catch (...) {
            status = 3;
            message = "unknown exception";
        }
        byte_sink report;
        report.put(status);
        report.put(err);
        report.put_string(step);
        report.put_string(message);
        if (status == 0)
            report.append(c.out.bytes());
        const bool ok = write_all(c.report_fd, report.bytes().data(), report.bytes().size());
        ::_exit(ok ? 0 : 4);
    }

    ::close(p[1]);
    std::vector<unsigned char> data;
    std::exception_ptr read_error;
    try {
        read_all(p[0], data);
    } catch (...) {
        read_error = std::current_exception();
    }
    ::close(p[0]);
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0)
        if (errno != EINTR)
            throw_errno("waitpid");
    if (read_error)
        std::rethrow_exception(read_error);
    if (!WIFEXITED(wstatus))
        throw harness_error("child killed by signal " + std::to_string(WTERMSIG(wstatus)));
    if (WEXITSTATUS(wstatus) != 0)
        throw harness_error("child exited with status " + std::to_string(WEXITSTATUS(wstatus)));

    byte_source in(data);
    const auto status = in.get<std::int32_t>();
    const auto err = in.get<std::int32_t>();
    std::string step = in.get_string();
    const std::string message = in.get_string();
    if (status != 0)
        throw child_failure(status, err, std::move(step), message);
    const auto rest = in.rest();
    return {rest.begin(), rest.end()};
}

// ---------------------------------------------------------------------------
// The model task's starting state

struct task_shape {
    unsigned fill_fds = 0;              // sockets opened on fds 3.. after stdio
    unsigned long rlimit_nofile = 1024;  // RLIMIT_NOFILE soft limit for the calls
    sockmodel::kgid_t ping_low = 1;     // net.ipv4.ping_group_range of the new
    sockmodel::kgid_t ping_high = 0;    // netns (1 0: empty, the default)
};

// In the child: enters a new network namespace (the sysctls a new netns
// starts with, which is what the model's init_net holds) and writes its
// ping_group_range; keeps only fds 0, 1, 2 and the report pipe, which moves
// above every fd the run can reach; opens s.fill_fds AF_UNIX sockets; sets
// RLIMIT_NOFILE. Returns whether exactly fds 0, 1 and 2 were open before the
// fill sockets (fd numbers are comparable with the model only then).
inline bool shape_like_model_task(child_context& c, const task_shape& s)
{
    if (::unshare(CLONE_NEWNET) != 0)
        setup_failed("unshare(CLONE_NEWNET)");
    {
        const int pfd = ::open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
        if (pfd < 0)
            setup_failed("open ping_group_range");
        const std::string range = std::to_string(s.ping_low) + " " + std::to_string(s.ping_high) + "\n";
        if (::write(pfd, range.data(), range.size()) != static_cast<ssize_t>(range.size()))
            setup_failed("write ping_group_range");
        ::close(pfd);
    }

    // Room for the setup, then the report pipe above every fd the run can reach.
    const int pipe_fd = static_cast<int>(3 + s.fill_fds + 8);
    struct ::rlimit lim {};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
        setup_failed("getrlimit");
    const rlim_t need = static_cast<rlim_t>(pipe_fd) + 1;
    struct ::rlimit setup_lim = lim;
    setup_lim.rlim_cur = std::max<rlim_t>(need, s.rlimit_nofile);
    setup_lim.rlim_max = std::max(lim.rlim_max, setup_lim.rlim_cur);
    if (::setrlimit(RLIMIT_NOFILE, &setup_lim) != 0)
        setup_failed("setrlimit (setup)");
    const int high = ::fcntl(c.report_fd, F_DUPFD_CLOEXEC, pipe_fd);
    if (high != pipe_fd)
        setup_failed("fcntl(F_DUPFD_CLOEXEC)");
    c.report_fd = high;

    // Only 0, 1, 2 stay: descriptors inherited from whoever ran us would
    // shift the fd numbers and the EMFILE point.
    if (::syscall(SYS_close_range, 3U, static_cast<unsigned>(pipe_fd - 1), 0U) != 0)
        setup_failed("close_range");
    if (::syscall(SYS_close_range, static_cast<unsigned>(pipe_fd + 1), ~0U, 0U) != 0)
        setup_failed("close_range");
    const bool exact_stdio = ::fcntl(0, F_GETFD) >= 0 && ::fcntl(1, F_GETFD) >= 0 && ::fcntl(2, F_GETFD) >= 0;

    for (unsigned i = 0; i < s.fill_fds; ++i)
        if (::socket(AF_UNIX, SOCK_STREAM, 0) < 0)
            setup_failed("socket (--fill-fds)");

    struct ::rlimit run_lim = setup_lim;
    run_lim.rlim_cur = s.rlimit_nofile;
    if (::setrlimit(RLIMIT_NOFILE, &run_lim) != 0)
        setup_failed("setrlimit");
    return exact_stdio;
}

// The socketpair(2) system call itself (no libc wrapper in between), so a
// null or bad array reaches the kernel: 0 or -errno.
inline int host_socketpair(int family, int type, int protocol, int* sv)
{
    const long r = ::syscall(SYS_socketpair, family, type, protocol, sv);
    return r < 0 ? -errno : static_cast<int>(r);
}

// ---------------------------------------------------------------------------
// Credentials

namespace detail {

// capget/capset's structures (linux/capability.h, whose CAP_* macros would
// rewrite sockmodel::capability's enumerators).
struct user_cap_header {
    std::uint32_t version;
    int pid;
};
struct user_cap_data {
    std::uint32_t effective, permitted, inheritable;
};
inline constexpr std::uint32_t linux_capability_version_3 = 0x20080522;

struct cap_sets {
    std::uint64_t effective, permitted;
};

inline cap_sets get_caps(user_cap_header& hdr, user_cap_data (&data)[2])
{
    hdr = {linux_capability_version_3, 0};
    if (::syscall(SYS_capget, &hdr, data) != 0)
        setup_failed("capget");
    return {data[0].effective | (std::uint64_t{data[1].effective} << 32),
            data[0].permitted | (std::uint64_t{data[1].permitted} << 32)};
}

}  // namespace detail

// In the child: becomes `c` — groups, gids, then uids (keeping capabilities
// across the uid change only when some are wanted), then the exact effective
// set. A full effective set means every capability this process may hold: a
// container or bounding set may withhold some (often CAP_SYS_RESOURCE), and
// none of those decide socket().
inline void apply_credentials(const sockmodel::cred& c)
{
    const std::vector<gid_t> groups(c.group_info.begin(), c.group_info.end());
    if (::setgroups(groups.size(), groups.data()) != 0)
        setup_failed("setgroups");
    if (::setresgid(c.gid, c.egid, c.sgid) != 0)
        setup_failed("setresgid");
    const bool want_caps = c.cap_effective.val != 0;
    if (c.uid != 0 || c.euid != 0) {
        if (want_caps && ::prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0)
            setup_failed("prctl(PR_SET_KEEPCAPS)");
        if (::setresuid(c.uid, c.euid, c.suid) != 0)
            setup_failed("setresuid");
    }
    if (c.cap_effective != sockmodel::kernel_cap_t::full() || c.euid != 0) {
        detail::user_cap_header hdr{};
        detail::user_cap_data data[2]{};
        const std::uint64_t permitted = detail::get_caps(hdr, data).permitted;
        const std::uint64_t want = c.cap_effective == sockmodel::kernel_cap_t::full() ? permitted : c.cap_effective.val;
        if ((want & permitted) != want) {
            errno = EPERM;
            setup_failed("capset (a requested capability is not in the permitted set)");
        }
        data[0].effective = static_cast<std::uint32_t>(want);
        data[1].effective = static_cast<std::uint32_t>(want >> 32);
        data[0].inheritable = data[1].inheritable = 0;
        if (::syscall(SYS_capset, &hdr, data) != 0)
            setup_failed("capset");
    }
}

// In the child, after apply_credentials: unshare(CLONE_NEWUSER), as
// `unshare -U` does and the model's kernel::unshare(t, clone_flag::newuser):
// a new user namespace owned by the current euid, every capability inside it,
// no uid/gid map written. The network namespace is kept, so it stays owned by
// the user namespace that was current when it was made (the initial one, for
// the netns shape_like_model_task made as root).
inline void enter_user_namespace()
{
    if (::unshare(CLONE_NEWUSER) != 0)
        setup_failed("unshare(CLONE_NEWUSER)");
}

// In the child, after apply_credentials: proves that the ids and groups are
// c's and, for a credential without capabilities and without uid 0, that no
// capability is left, effective or permitted. Throws setup_error (err 0) if not.
inline void check_credentials(const sockmodel::cred& c)
{
    uid_t ru = 0, eu = 0, su = 0;
    gid_t rg = 0, eg = 0, sg = 0;
    if (::getresuid(&ru, &eu, &su) != 0 || ::getresgid(&rg, &eg, &sg) != 0)
        setup_failed("getresuid/getresgid");
    if (ru != c.uid || eu != c.euid || su != c.suid || rg != c.gid || eg != c.egid || sg != c.sgid)
        throw setup_error("ids did not change", 0);
    const int n = ::getgroups(0, nullptr);
    if (n < 0)
        setup_failed("getgroups");
    std::vector<gid_t> have(static_cast<std::size_t>(n));
    if (n > 0 && ::getgroups(n, have.data()) != n)
        setup_failed("getgroups");
    std::vector<gid_t> want(c.group_info.begin(), c.group_info.end());
    std::sort(have.begin(), have.end());
    std::sort(want.begin(), want.end());
    if (have != want)
        throw setup_error(want.empty() ? "supplementary groups remain" : "supplementary groups differ", 0);

    if (c.cap_effective.val == 0 && c.uid != 0 && c.euid != 0 && c.suid != 0) {
        detail::user_cap_header hdr{};
        detail::user_cap_data data[2]{};
        const detail::cap_sets caps = detail::get_caps(hdr, data);
        if (caps.effective != 0 || caps.permitted != 0) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "capabilities remain after setresuid: effective %#llx, permitted %#llx",
                          static_cast<unsigned long long>(caps.effective),
                          static_cast<unsigned long long>(caps.permitted));
            throw setup_error(buf, 0);
        }
    }
}

}  // namespace sockmodel_host
