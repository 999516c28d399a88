// clone(2), unshare(2), user namespace maps and dup_fd's next_fd against the
// live kernel. Each row runs in its own forked child (as root or as nobody),
// and once on a model task that starts from that child's descriptor table
// and RLIMIT_NOFILE; the rows must agree. Each grid prints its row count.
//
//   clone grid     all 128 subsets of {VM, FILES, SIGHAND, THREAD, NEWUSER,
//                  NEWNET, FS} x {root, nobody}: the return, the child's
//                  socket() answers, whether its fd and its setrlimit are
//                  seen by the parent
//   unshare grid   every flag ksys_unshare knows, alone and with NEWUSER, and
//                  bits it does not know, x {root, nobody} x {alone, with a
//                  thread, with a CLONE_VM child, with a CLONE_FILES child}:
//                  the return, a raw socket's answer, what is still shared
//                  with the sibling (kcmp)
//   nested         unshare(CLONE_NEWUSER) 34 times, with and without maps,
//                  as root and nobody, with each level's uid and
//                  ping_group_range as seen inside
#include "live_kernel.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace lk = live_kernel;
namespace cf = sockmodel::clone_flag;
using K = sockmodel::kernel<>;
static_assert(cf::vm == CLONE_VM && cf::fs == CLONE_FS && cf::files == CLONE_FILES && cf::sighand == CLONE_SIGHAND &&
              cf::thread == CLONE_THREAD && cf::newuser == CLONE_NEWUSER && cf::newnet == CLONE_NEWNET &&
              cf::newns == CLONE_NEWNS && cf::sysvsem == CLONE_SYSVSEM && cf::newuts == CLONE_NEWUTS &&
              cf::newipc == CLONE_NEWIPC && cf::newpid == CLONE_NEWPID && cf::newcgroup == CLONE_NEWCGROUP &&
              cf::newtime == CLONE_NEWTIME);

int sys_ret(long r) { return r < 0 ? -errno : static_cast<int>(r); }

constexpr std::size_t stack_size = 256 * 1024;

struct mapping {
    void* p;
    std::size_t n;
    mapping(std::size_t size, bool shared)
        : p(::mmap(nullptr, size, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0)),
          n(size)
    {
        if (p == MAP_FAILED)
            throw sockmodel_host::setup_error("mmap", errno);
    }
    ~mapping() { ::munmap(p, n); }
    char* top() const { return static_cast<char*>(p) + n; }
};

// What one socket() call of the child answers, closed again only by its exit.
constexpr int raw_icmp[] = {AF_INET, SOCK_RAW, IPPROTO_ICMP};
constexpr int unix_stream[] = {AF_UNIX, SOCK_STREAM, 0};
constexpr int packet_raw[] = {AF_PACKET, SOCK_RAW, 0x0300};  // htons(ETH_P_ALL)

// --- clone grid ------------------------------------------------------------

struct clone_row {
    int ret = 0;           // 0 or -errno
    int raw = 0;           // the child's socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
    int unix_fd = 0;       // the child's socket(AF_UNIX, SOCK_STREAM, 0)
    int packet = 0;        // the child's socket(AF_PACKET, SOCK_RAW, ETH_P_ALL)
    int setrlimit = 0;     // the child lowers its soft RLIMIT_NOFILE by one
    int fd_in_parent = 0;  // the parent's fcntl(unix_fd, F_GETFD) after the child exited: 1 open, 0 not, -1 n/a
    int rlimit_shared = 0; // the parent's soft RLIMIT_NOFILE is the child's
    friend bool operator==(const clone_row&, const clone_row&) = default;
};

std::string describe(const clone_row& r)
{
    return "ret " + lk::ret_name(r.ret) + " raw " + lk::ret_name(r.raw) + " unix " + lk::ret_name(r.unix_fd) +
           " packet " + lk::ret_name(r.packet) + " setrlimit " + lk::ret_name(r.setrlimit) + " fd_in_parent " +
           std::to_string(r.fd_in_parent) + " rlimit_shared " + std::to_string(r.rlimit_shared);
}

struct clone_page {
    clone_row row;
    int ctid;
};

int clone_child(void* arg)
{
    auto* page = static_cast<clone_page*>(arg);
    page->row.raw = sys_ret(::syscall(SYS_socket, raw_icmp[0], raw_icmp[1], raw_icmp[2]));
    page->row.unix_fd = sys_ret(::syscall(SYS_socket, unix_stream[0], unix_stream[1], unix_stream[2]));
    page->row.packet = sys_ret(::syscall(SYS_socket, packet_raw[0], packet_raw[1], packet_raw[2]));
    struct ::rlimit rl {};
    ::syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl);
    rl.rlim_cur -= 1;
    page->row.setrlimit = sys_ret(::syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl));
    return 0;
}

std::string flag_names(unsigned long f)
{
    static const std::pair<unsigned long, const char*> names[] = {
        {CLONE_VM, "VM"},         {CLONE_FS, "FS"},         {CLONE_FILES, "FILES"},     {CLONE_SIGHAND, "SIGHAND"},
        {CLONE_THREAD, "THREAD"}, {CLONE_NEWNS, "NEWNS"},   {CLONE_SYSVSEM, "SYSVSEM"}, {CLONE_NEWCGROUP, "NEWCGROUP"},
        {CLONE_NEWUTS, "NEWUTS"}, {CLONE_NEWIPC, "NEWIPC"}, {CLONE_NEWUSER, "NEWUSER"}, {CLONE_NEWPID, "NEWPID"},
        {CLONE_NEWNET, "NEWNET"}, {CLONE_NEWTIME, "NEWTIME"}};
    std::string s;
    for (const auto& [bit, name] : names)
        if (f & bit) {
            s += s.empty() ? "" : "|";
            s += name;
            f &= ~bit;
        }
    if (f)
        s += (s.empty() ? "" : "|") + lk::hex(static_cast<int>(f));
    return s.empty() ? "0" : s;
}

constexpr unsigned long clone_bits[] = {CLONE_VM, CLONE_FILES, CLONE_SIGHAND, CLONE_THREAD,
                                        CLONE_NEWUSER, CLONE_NEWNET, CLONE_FS};

unsigned long subset_flags(unsigned mask)
{
    unsigned long f = 0;
    for (unsigned i = 0; i < 7; ++i)
        if (mask & (1U << i))
            f |= clone_bits[i];
    return f;
}

struct live_clone_run {
    lk::fd_snapshot snap;
    clone_row row;
};

live_clone_run live_clone(lk::identity who, unsigned long flags)
{
    const auto bytes = lk::run_in_child(who, [&](lk::byte_sink& out) {
        mapping page_map(4096, true);
        mapping stack(stack_size, false);
        auto* page = new (page_map.p) clone_page{};
        page->ctid = 1;
        const lk::fd_snapshot snap = lk::snapshot_fds();
        const bool thread = flags & CLONE_THREAD;
        const int pid = ::clone(clone_child, stack.top(), static_cast<int>(flags | SIGCHLD | (thread ? CLONE_CHILD_CLEARTID : 0)),
                                page, nullptr, nullptr, &page->ctid);
        clone_row row{};
        if (pid < 0) {
            row.ret = -errno;
            row.fd_in_parent = -1;
        } else {
            if (thread) {
                while (__atomic_load_n(&page->ctid, __ATOMIC_ACQUIRE) != 0)
                    ::syscall(SYS_futex, &page->ctid, FUTEX_WAIT, 1, nullptr, nullptr, 0);
            } else {
                int st = 0;
                if (::waitpid(pid, &st, __WALL) != pid)
                    throw sockmodel_host::setup_error("waitpid", errno);
            }
            row = page->row;
            row.ret = 0;
            row.fd_in_parent = row.unix_fd < 0 ? -1 : (::fcntl(row.unix_fd, F_GETFD) >= 0 ? 1 : 0);
            struct ::rlimit rl {};
            ::getrlimit(RLIMIT_NOFILE, &rl);
            row.rlimit_shared = rl.rlim_cur == snap.nofile_cur - 1;
        }
        lk::put_snapshot(out, snap);
        out.put(row);
    });
    lk::byte_source in(bytes);
    live_clone_run r;
    r.snap = lk::get_snapshot(in);
    r.row = in.get<clone_row>();
    return r;
}

clone_row model_clone(lk::identity who, unsigned long flags, const lk::fd_snapshot& snap)
{
    K k;
    k.init_net.sysctl = lk::host_net_sysctl();
    sockmodel::task_struct& p = k.spawn(lk::model_cred(who));
    lk::mirror_fds(k, p, snap);
    clone_row row{};
    const int pid = k.clone(p, flags);
    if (pid < 0) {
        row.ret = pid;
        row.fd_in_parent = -1;
        return row;
    }
    sockmodel::task_struct& c = *k.find_task(pid);
    row.raw = k.socket(c, raw_icmp[0], raw_icmp[1], raw_icmp[2]);
    row.unix_fd = k.socket(c, unix_stream[0], unix_stream[1], unix_stream[2]);
    row.packet = k.socket(c, packet_raw[0], packet_raw[1], packet_raw[2]);
    sockmodel::resource_limit rl{};
    k.getrlimit(c, K::abi::rlimit_nofile, &rl);
    rl.rlim_cur -= 1;
    row.setrlimit = k.setrlimit(c, K::abi::rlimit_nofile, &rl);
    k.exit(c);
    row.fd_in_parent = row.unix_fd < 0 ? -1 : (k.fcntl(p, row.unix_fd, F_GETFD) >= 0 ? 1 : 0);
    k.getrlimit(p, K::abi::rlimit_nofile, &rl);
    row.rlimit_shared = rl.rlim_cur == snap.nofile_cur - 1;
    return row;
}

// --- unshare grid ----------------------------------------------------------

enum class sibling { none, thread, vm_child, files_child };
const char* sibling_name(sibling s)
{
    switch (s) {
    case sibling::none: return "alone";
    case sibling::thread: return "with a thread";
    case sibling::vm_child: return "with a CLONE_VM|CLONE_SIGHAND child";
    case sibling::files_child: return "with a CLONE_FILES child";
    }
    return "?";
}
unsigned long sibling_flags(sibling s)
{
    switch (s) {
    case sibling::none: return 0;
    case sibling::thread: return CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    case sibling::vm_child: return CLONE_VM | CLONE_SIGHAND;
    case sibling::files_child: return CLONE_FILES;
    }
    return 0;
}

struct unshare_row {
    int ret = 0;
    int raw = 0;          // socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) after it
    int shares_files = -1, shares_fs = -1, shares_vm = -1, shares_sighand = -1;  // with the sibling; -1 none
    friend bool operator==(const unshare_row&, const unshare_row&) = default;
};

std::string describe(const unshare_row& r)
{
    return "ret " + lk::ret_name(r.ret) + " raw " + lk::ret_name(r.raw) + " files " + std::to_string(r.shares_files) +
           " fs " + std::to_string(r.shares_fs) + " vm " + std::to_string(r.shares_vm) + " sighand " +
           std::to_string(r.shares_sighand);
}

int sibling_body(void*)
{
    for (;;)
        ::syscall(SYS_pause);
}

// A process that dropped to nobody with setresuid is not dumpable, so its
// /proc/self files stay root's and kcmp is refused; a program started as
// nobody is dumpable: be one.
void make_dumpable()
{
    if (::prctl(PR_SET_DUMPABLE, 1) != 0)
        throw sockmodel_host::setup_error("prctl(PR_SET_DUMPABLE)", errno);
}

struct live_unshare_run {
    lk::fd_snapshot snap;
    unshare_row row;
};

live_unshare_run live_unshare(lk::identity who, sibling sib, unsigned long flags)
{
    const auto bytes = lk::run_in_child(who, [&](lk::byte_sink& out) {
        make_dumpable();
        // Never unmapped: the sibling may not have reached pause() when this
        // child is done, and the process exits right after.
        mapping& stack = *new mapping(stack_size, false);
        int sib_pid = 0;
        if (sib != sibling::none) {
            const unsigned long f = sibling_flags(sib) | (sib == sibling::thread ? 0 : SIGCHLD);
            sib_pid = ::clone(sibling_body, stack.top(), static_cast<int>(f), nullptr);
            if (sib_pid < 0)
                throw sockmodel_host::setup_error("clone (sibling)", errno);
        }
        const lk::fd_snapshot snap = lk::snapshot_fds();
        unshare_row row{};
        row.ret = sys_ret(::syscall(SYS_unshare, flags));
        row.raw = sys_ret(::syscall(SYS_socket, raw_icmp[0], raw_icmp[1], raw_icmp[2]));
        if (row.raw >= 0)
            ::close(row.raw);
        if (sib_pid > 0) {
            const pid_t self = static_cast<pid_t>(::syscall(SYS_gettid));
            const auto same = [&](int type) {
                const long r = ::syscall(SYS_kcmp, self, sib_pid, type, 0, 0);
                return r < 0 ? -errno : r == 0 ? 1 : 0;
            };
            row.shares_files = same(KCMP_FILES);
            row.shares_fs = same(KCMP_FS);
            row.shares_vm = same(KCMP_VM);
            row.shares_sighand = same(KCMP_SIGHAND);
            if (sib != sibling::thread) {
                ::kill(sib_pid, SIGKILL);
                ::waitpid(sib_pid, nullptr, __WALL);
            }
        }
        lk::put_snapshot(out, snap);
        out.put(row);
    });
    lk::byte_source in(bytes);
    live_unshare_run r;
    r.snap = lk::get_snapshot(in);
    r.row = in.get<unshare_row>();
    return r;
}

unshare_row model_unshare(lk::identity who, sibling sib, unsigned long flags, const lk::fd_snapshot& snap)
{
    K k;
    k.init_net.sysctl = lk::host_net_sysctl();
    sockmodel::task_struct& t = k.spawn(lk::model_cred(who));
    sockmodel::task_struct* s = nullptr;
    if (sib != sibling::none) {
        const int pid = k.clone(t, sibling_flags(sib));
        if (pid < 0)
            throw std::logic_error("model clone (sibling) gave " + lk::ret_name(pid));
        s = k.find_task(pid);
    }
    // The sibling's fds are the runner's when it shares the table; the
    // snapshot is taken after it was made, so mirror into the runner alone.
    if (sib == sibling::files_child || sib == sibling::thread) {
        // A shared table: mirror through the runner (the sibling sees the same).
    }
    lk::mirror_fds(k, t, snap);
    unshare_row row{};
    row.ret = k.unshare(t, flags);
    row.raw = k.socket(t, raw_icmp[0], raw_icmp[1], raw_icmp[2]);
    if (row.raw >= 0)
        k.close(t, row.raw);
    if (s && (flags & CLONE_NEWUSER) && row.ret == 0) {
        // kcmp needs ptrace access, which cap_ptrace_access_check refuses
        // once the sibling is in the parent of the caller's user namespace.
        row.shares_files = row.shares_fs = row.shares_vm = row.shares_sighand = -EPERM;
    } else if (s) {
        row.shares_files = t.files == s->files;
        row.shares_fs = t.fs == s->fs;
        row.shares_vm = t.mm == s->mm;
        row.shares_sighand = t.sighand == s->sighand;
    }
    return row;
}

std::vector<unsigned long> unshare_flag_list()
{
    const unsigned long known[] = {CLONE_THREAD, CLONE_FS, CLONE_NEWNS, CLONE_SIGHAND, CLONE_VM,
                                   CLONE_FILES, CLONE_SYSVSEM, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET,
                                   CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWTIME};
    std::vector<unsigned long> v = {0, CLONE_NEWUSER, CLONE_NEWUSER | CLONE_NEWNET | CLONE_FILES};
    for (unsigned long f : known) {
        v.push_back(f);
        v.push_back(f | CLONE_NEWUSER);
    }
    for (unsigned long bad : {0x1UL, 0x4000UL /* VFORK */, 0x8000UL /* PARENT */, 0x80000UL /* SETTLS */})
        v.push_back(bad);
    return v;
}

// --- nested user namespaces -------------------------------------------------

struct level_row {
    int unshare = 0, setgroups = 0, uid_map = 0, gid_map = 0;
    int uid = 0;                    // getuid() inside
    int ping_low = 0, ping_high = 0;  // ping_group_range as read inside
    friend bool operator==(const level_row&, const level_row&) = default;
};

std::string describe(const level_row& r)
{
    return "unshare " + lk::ret_name(r.unshare) + " setgroups " + lk::ret_name(r.setgroups) + " uid_map " +
           lk::ret_name(r.uid_map) + " gid_map " + lk::ret_name(r.gid_map) + " uid " + std::to_string(r.uid) +
           " ping_group_range " + std::to_string(r.ping_low) + " " + std::to_string(r.ping_high);
}

constexpr int nested_levels = 34;

int write_file(const char* path, const std::string& text)
{
    const int fd = ::open(path, O_WRONLY);
    if (fd < 0)
        return -errno;
    const long n = ::write(fd, text.data(), text.size());
    const int r = n < 0 ? -errno : static_cast<int>(n);
    ::close(fd);
    return r;
}

std::pair<int, int> read_ping_group_range()
{
    std::ifstream f("/proc/sys/net/ipv4/ping_group_range");
    long lo = -1, hi = -1;
    f >> lo >> hi;
    return {static_cast<int>(lo), static_cast<int>(hi)};
}

std::vector<level_row> live_nested(lk::identity who, bool mapped)
{
    const auto bytes = lk::run_in_child(who, [&](lk::byte_sink& out) {
        make_dumpable();
        std::vector<level_row> rows;
        for (int level = 1; level <= nested_levels; ++level) {
            level_row r{};
            const std::string uid = std::to_string(::getuid()), gid = std::to_string(::getgid());
            r.unshare = sys_ret(::syscall(SYS_unshare, CLONE_NEWUSER));
            if (mapped && r.unshare == 0) {
                r.setgroups = write_file("/proc/self/setgroups", "deny");
                r.uid_map = write_file("/proc/self/uid_map", uid + " " + uid + " 1\n");
                r.gid_map = write_file("/proc/self/gid_map", gid + " " + gid + " 1\n");
            }
            r.uid = static_cast<int>(::getuid());
            std::tie(r.ping_low, r.ping_high) = read_ping_group_range();
            rows.push_back(r);
        }
        out.put_vector(rows);
    });
    lk::byte_source in(bytes);
    return in.get_vector<level_row>();
}

std::vector<level_row> model_nested(lk::identity who, bool mapped)
{
    K k;
    k.init_net.sysctl = lk::host_net_sysctl();
    sockmodel::task_struct& t = k.spawn(lk::model_cred(who));
    std::vector<level_row> rows;
    for (int level = 1; level <= nested_levels; ++level) {
        level_row r{};
        const auto& ns = *t.cred.user_ns;
        const std::string uid = std::to_string(sockmodel::from_kuid_munged(ns, t.cred.uid));
        const std::string gid = std::to_string(sockmodel::from_kgid_munged(ns, t.cred.gid));
        r.unshare = k.unshare(t, CLONE_NEWUSER);
        if (mapped && r.unshare == 0) {
            r.setgroups = k.write_setgroups(t, 0, "deny");
            r.uid_map = k.write_uid_map(t, 0, uid + " " + uid + " 1\n");
            r.gid_map = k.write_gid_map(t, 0, gid + " " + gid + " 1\n");
        }
        r.uid = static_cast<int>(sockmodel::from_kuid_munged(*t.cred.user_ns, t.cred.uid));
        unsigned range[2] = {};
        k.read_ping_group_range(t, range);
        r.ping_low = static_cast<int>(range[0]);
        r.ping_high = static_cast<int>(range[1]);
        rows.push_back(r);
    }
    return rows;
}

constexpr lk::identity identities[] = {lk::identity::inherit, lk::identity::nobody};

}  // namespace

TEST_CASE("differential: clone grid, 128 flag subsets x root/nobody")
{
    if (!lk::root_or_skip("the clone grid runs as root and as nobody"))
        return;
    int rows = 0, mismatches = 0;
    for (lk::identity who : identities)
        for (unsigned mask = 0; mask < 128; ++mask) {
            const unsigned long flags = subset_flags(mask);
            const live_clone_run live = live_clone(who, flags);
            const clone_row model = model_clone(who, flags, live.snap);
            ++rows;
            if (!(live.row == model)) {
                ++mismatches;
                MESSAGE(std::string(lk::identity_name(who)) << " clone(" << flag_names(flags) << "): kernel " << describe(live.row)
                                               << " | model " << describe(model));
            }
        }
    std::printf("clone grid: %d rows, %d agree, %d mismatches\n", rows, rows - mismatches, mismatches);
    CHECK(rows == 256);
    CHECK(mismatches == 0);
}

TEST_CASE("differential: unshare grid, every flag x root/nobody x what the task shares")
{
    if (!lk::root_or_skip("the unshare grid runs as root and as nobody"))
        return;
    int rows = 0, mismatches = 0;
    for (lk::identity who : identities)
        for (sibling sib : {sibling::none, sibling::thread, sibling::vm_child, sibling::files_child})
            for (unsigned long flags : unshare_flag_list()) {
                if (std::getenv("SOCKMODEL_NS_DEBUG"))
                    std::fprintf(stderr, "%s %s unshare(%s)\n", lk::identity_name(who), sibling_name(sib),
                                 flag_names(flags).c_str());
                const live_unshare_run live = live_unshare(who, sib, flags);
                const unshare_row model = model_unshare(who, sib, flags, live.snap);
                ++rows;
                if (!(live.row == model)) {
                    ++mismatches;
                    MESSAGE(std::string(lk::identity_name(who)) << " " << sibling_name(sib) << " unshare(" << flag_names(flags)
                                                   << "): kernel " << describe(live.row) << " | model "
                                                   << describe(model));
                }
            }
    std::printf("unshare grid: %d rows, %d agree, %d mismatches\n", rows, rows - mismatches, mismatches);
    CHECK(mismatches == 0);
}

TEST_CASE("differential: nested user namespaces to the 34th level, mapped and unmapped, root and nobody")
{
    if (!lk::root_or_skip("nested user namespaces as root and as nobody"))
        return;
    int rows = 0, mismatches = 0;
    for (lk::identity who : identities)
        for (bool mapped : {true, false}) {
            const auto live = live_nested(who, mapped);
            const auto model = model_nested(who, mapped);
            REQUIRE(live.size() == model.size());
            for (std::size_t i = 0; i < live.size(); ++i) {
                ++rows;
                if (!(live[i] == model[i])) {
                    ++mismatches;
                    MESSAGE(std::string(lk::identity_name(who)) << (mapped ? " mapped" : " unmapped") << " level " << i + 1
                                                   << ": kernel " << describe(live[i]) << " | model "
                                                   << describe(model[i]));
                }
            }
            if (mapped) {
                CHECK(live[32].unshare == 0);
                CHECK(live[33].unshare == -ENOSPC);
            }
        }
    std::printf("nested user namespaces: %d rows, %d agree, %d mismatches\n", rows, rows - mismatches, mismatches);
    CHECK(mismatches == 0);
}

namespace {

// ping_group_range of a network namespace the task's own user namespace owns,
// read and written through its maps: before the maps (nothing maps: the
// overflow gid), after them, a write of the task's own gid, an inverted range,
// an unmapped gid; and whether a ping socket may then be made.
struct ping_row {
    int ret = 0, low = 0, high = 0;
    friend bool operator==(const ping_row&, const ping_row&) = default;
};

std::vector<ping_row> live_ping(lk::identity who)
{
    const auto bytes = lk::run_in_child(who, [&](lk::byte_sink& out) {
        make_dumpable();
        std::vector<ping_row> rows;
        const std::string uid = std::to_string(::getuid()), gid = std::to_string(::getgid());
        const auto read = [&](int r) {
            const auto [lo, hi] = read_ping_group_range();
            rows.push_back({r, lo, hi});
        };
        const auto write = [&](const char* text) { return write_file("/proc/sys/net/ipv4/ping_group_range", text); };
        read(sys_ret(::syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNET)));
        read(write("0 0\n"));
        read(write_file("/proc/self/setgroups", "deny"));
        read(write_file("/proc/self/uid_map", "0 " + uid + " 1\n"));
        read(write_file("/proc/self/gid_map", "0 " + gid + " 1\n"));
        read(write("0 0\n"));
        read(sys_ret(::syscall(SYS_socket, AF_INET, SOCK_DGRAM, IPPROTO_ICMP)));
        read(write("5 3\n"));
        read(write("100 100\n"));
        read(sys_ret(::syscall(SYS_socket, AF_INET, SOCK_DGRAM, IPPROTO_ICMP)));
        out.put_vector(rows);
    });
    lk::byte_source in(bytes);
    return in.get_vector<ping_row>();
}

std::vector<ping_row> model_ping(lk::identity who, const lk::fd_snapshot& snap)
{
    K k;
    k.init_net.sysctl = lk::host_net_sysctl();
    sockmodel::task_struct& t = k.spawn(lk::model_cred(who));
    lk::mirror_fds(k, t, snap);
    std::vector<ping_row> rows;
    const std::string uid = std::to_string(t.cred.uid), gid = std::to_string(t.cred.gid);
    const auto read = [&](int r) {
        unsigned range[2] = {};
        k.read_ping_group_range(t, range);
        rows.push_back({r, static_cast<int>(range[0]), static_cast<int>(range[1])});
    };
    // The live side writes text; a write answers its length.
    const auto write = [&](long lo, long hi, int len) {
        const int r = k.write_ping_group_range(t, lo, hi);
        return r < 0 ? r : len;
    };
    read(k.unshare(t, CLONE_NEWUSER | CLONE_NEWNET));
    read(write(0, 0, 4));
    read(k.write_setgroups(t, 0, "deny"));
    read(k.write_uid_map(t, 0, "0 " + uid + " 1\n"));
    read(k.write_gid_map(t, 0, "0 " + gid + " 1\n"));
    read(write(0, 0, 4));
    read(k.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
    read(write(5, 3, 4));
    read(write(100, 100, 8));
    read(k.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
    return rows;
}

}  // namespace

TEST_CASE("differential: ping_group_range of an owned netns, through the user namespace's maps")
{
    if (!lk::root_or_skip("ping_group_range as root and as nobody"))
        return;
    int rows = 0, mismatches = 0;
    for (lk::identity who : identities) {
        const lk::fd_snapshot snap = [&] {
            const auto bytes = lk::run_in_child(who, [&](lk::byte_sink& out) {
                make_dumpable();
                lk::put_snapshot(out, lk::snapshot_fds());
            });
            lk::byte_source in(bytes);
            return lk::get_snapshot(in);
        }();
        const auto live = live_ping(who);
        const auto model = model_ping(who, snap);
        REQUIRE(live.size() == model.size());
        for (std::size_t i = 0; i < live.size(); ++i) {
            ++rows;
            if (!(live[i] == model[i])) {
                ++mismatches;
                MESSAGE(std::string(lk::identity_name(who))
                        << " step " << i << ": kernel " << lk::ret_name(live[i].ret) << " range " << live[i].low << " "
                        << live[i].high << " | model " << lk::ret_name(model[i].ret) << " range " << model[i].low
                        << " " << model[i].high);
            }
        }
    }
    std::printf("ping_group_range through maps: %d rows, %d agree, %d mismatches\n", rows, rows - mismatches,
                mismatches);
    CHECK(mismatches == 0);
}
