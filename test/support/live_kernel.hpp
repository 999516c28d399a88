// Differential-test helpers: run socket(2), close(2), dup(2), fcntl(2) and
// getsockopt(2) on the live kernel — in this process, or in a forked child that
// may first drop every privilege — and the same calls on a model kernel whose
// task has been given the same open descriptors, rlimit and sysctls.
//
// The forked child never returns into doctest: it serialises what it saw into
// a pipe and _exit()s. Nothing here uses doctest; failures of the harness itself
// (a pipe that breaks, a child that dies, privileges that do not drop) throw,
// and doctest reports the exception against the test case.
#pragma once

#include <sockmodel/sockmodel.hpp>

#include <host/bytes.hpp>
#include <host/child.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace live_kernel {

// ---------------------------------------------------------------------------
// Small utilities

[[noreturn]] inline void throw_errno(const std::string& what, int err = errno)
{
    throw std::runtime_error(what + ": " + std::strerror(err));
}

// "-EPROTONOSUPPORT" for a negative errno, the number otherwise.
inline std::string ret_name(int r)
{
    if (r >= 0)
        return std::to_string(r);
    const std::string_view n = sockmodel::errno_name(r);
    // Appended, not "-" + std::string(n): GCC 12 at -O3 sees a false overlap
    // (-Wrestrict) in operator+(const char*, std::string&&) (GCC PR 105329).
    std::string s = n.empty() ? std::to_string(r) : std::string(1, '-');
    if (!n.empty())
        s += n;
    return s;
}

inline std::string hex(int v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", static_cast<unsigned>(v));
    return buf;
}

// ---------------------------------------------------------------------------
// Serialisation through the child's pipe: shared with sockmodel-trace

using sockmodel_host::byte_sink;
using sockmodel_host::byte_source;

// ---------------------------------------------------------------------------
// The process's state that the model task has to mirror

struct fd_snapshot {
    std::vector<int> open_fds;  // sorted
    unsigned long nofile_cur = 0;
    unsigned long nofile_max = 0;
};

// The descriptors open in this process (from /proc/self/fd, without the
// directory's own descriptor) and its RLIMIT_NOFILE.
inline fd_snapshot snapshot_fds()
{
    fd_snapshot s;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d)
        throw_errno("live_kernel: opendir /proc/self/fd");
    const int self = ::dirfd(d);
    for (;;) {
        errno = 0;
        const dirent* e = ::readdir(d);
        if (!e) {
            const int err = errno;
            ::closedir(d);
            if (err)
                throw_errno("live_kernel: readdir /proc/self/fd", err);
            break;
        }
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        const int fd = std::stoi(e->d_name);
        if (fd != self)
            s.open_fds.push_back(fd);
    }
    std::sort(s.open_fds.begin(), s.open_fds.end());
    struct ::rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
        throw_errno("live_kernel: getrlimit(RLIMIT_NOFILE)");
    s.nofile_cur = rl.rlim_cur;
    s.nofile_max = rl.rlim_max;
    return s;
}

inline void put_snapshot(byte_sink& out, const fd_snapshot& s)
{
    out.put_vector(s.open_fds);
    out.put(s.nofile_cur);
    out.put(s.nofile_max);
}

inline fd_snapshot get_snapshot(byte_source& in)
{
    fd_snapshot s;
    s.open_fds = in.get_vector<int>();
    s.nofile_cur = in.get<unsigned long>();
    s.nofile_max = in.get<unsigned long>();
    return s;
}

// The sysctls the model's socket path reads, as the live kernel has them now.
inline sockmodel::net_sysctl host_net_sysctl()
{
    sockmodel::net_sysctl s;
    {
        std::ifstream f("/proc/sys/net/ipv4/ping_group_range");
        unsigned long long low = 0, high = 0;
        if (!(f >> low >> high))
            throw std::runtime_error("live_kernel: cannot read /proc/sys/net/ipv4/ping_group_range");
        s.ping_group_range.low = static_cast<sockmodel::kgid_t>(low);
        s.ping_group_range.high = static_cast<sockmodel::kgid_t>(high);
    }
    {
        // Absent when the kernel has no MPTCP; the model cannot express that
        // and keeps its default, so IPPROTO_MPTCP inputs would then disagree.
        std::ifstream f("/proc/sys/net/mptcp/enabled");
        int enabled = 0;
        if (f >> enabled)
            s.mptcp_enabled = enabled != 0;
    }
    {
        std::ifstream r("/proc/sys/net/core/rmem_default");
        std::ifstream w("/proc/sys/net/core/wmem_default");
        int v = 0;
        if (r >> v)
            s.rmem_default = v;
        if (w >> v)
            s.wmem_default = v;
    }
    return s;
}

// ---------------------------------------------------------------------------
// Identities

inline constexpr uid_t nobody_uid = 65534;
inline constexpr gid_t nobody_gid = 65534;

enum class identity {
    inherit,       // whatever the test process is (root, for these tests)
    nobody,        // setgroups(0), setresgid(65534), setresuid(65534): no capabilities
    nobody_userns, // nobody, then unshare(CLONE_NEWUSER): every capability in its own
                   // user namespace, none over the initial network namespace
};

inline const char* identity_name(identity who)
{
    switch (who) {
    case identity::inherit: return "root";
    case identity::nobody: return "nobody";
    case identity::nobody_userns: return "nobody+userns";
    }
    return "?";
}

// Can an unprivileged process make a user namespace here? (Debian's
// kernel.unprivileged_userns_clone, or user.max_user_namespaces at 0, may say no.)
inline bool unprivileged_userns_allowed(std::string* why)
{
    std::ifstream f("/proc/sys/user/max_user_namespaces");
    long max = -1;
    if (f >> max && max == 0) {
        *why = "user.max_user_namespaces is 0";
        return false;
    }
    std::ifstream d("/proc/sys/kernel/unprivileged_userns_clone");
    int on = 1;
    if (d >> on && on == 0) {
        *why = "kernel.unprivileged_userns_clone is 0";
        return false;
    }
    return true;
}

// The model credentials for an identity. `inherit` is root: the tests that use
// it check that the process runs as root first.
inline sockmodel::cred model_cred(identity who)
{
    return who == identity::inherit ? sockmodel::cred::root() : sockmodel::cred::user(nobody_uid, nobody_gid);
}

// The model task for an identity: nobody_userns unshares a user namespace in
// the model as the live child does (after any fd mirroring, which runs as root).
template <class K>
void model_enter_identity(K& k, sockmodel::task_struct& t, identity who)
{
    if (who == identity::nobody_userns)
        if (const int r = k.unshare(t, sockmodel::clone_flag::newuser); r != 0)
            throw std::logic_error("live_kernel: model unshare(CLONE_NEWUSER) gave " + std::to_string(r));
}

inline bool running_as_root() { return ::geteuid() == 0; }

// The differential tests need root (to drop to nobody, to enter namespaces);
// without it each says so on stdout, which CTest reads as a skip.
inline bool root_or_skip(const char* why)
{
    if (running_as_root())
        return true;
    std::printf("sockmodel-differential: SKIPPED: needs root: %s\n", why);
    return false;
}

// Drops to nobody and proves it: every id is 65534, no supplementary groups,
// no effective or permitted capability. Throws sockmodel_host::setup_error.
inline void drop_privileges()
{
    const sockmodel::cred nobody = model_cred(identity::nobody);
    sockmodel_host::apply_credentials(nobody);
    sockmodel_host::check_credentials(nobody);
}

// Runs fn(byte_sink&) in a forked child with the given identity and returns
// what it wrote (sockmodel_host::run_in_child, which sockmodel-trace's
// --compare-host uses too). Throws if the child did not finish cleanly or
// could not drop its privileges.
template <class Fn>
std::vector<unsigned char> run_in_child(identity who, Fn&& fn)
{
    try {
        return sockmodel_host::run_in_child([&](sockmodel_host::child_context& c) {
            if (who != identity::inherit)
                drop_privileges();
            if (who == identity::nobody_userns && ::unshare(CLONE_NEWUSER) != 0)
                throw sockmodel_host::setup_error("unshare(CLONE_NEWUSER)", errno);
            fn(c.out);
        });
    } catch (const sockmodel_host::harness_error& e) {
        throw std::runtime_error(std::string("live_kernel: ") + e.what());
    } catch (const sockmodel_host::child_failure& e) {
        throw std::runtime_error(std::string("live_kernel: ") + e.what());
    }
}

// ---------------------------------------------------------------------------
// socket() probes

struct socket_input {
    int family;
    int type;
    int protocol;
};

// What one socket() call gives, observed the same way on both sides. Each
// field after `ret` holds the answer, or -errno if the call failed.
struct socket_outcome {
    int ret = 0;          // the fd, or -errno
    int fd_flags = 0;     // fcntl(F_GETFD)
    int fl_flags = 0;     // fcntl(F_GETFL)
    int so_type = 0;      // getsockopt(SOL_SOCKET, SO_TYPE)
    int so_protocol = 0;  // SO_PROTOCOL
    int so_domain = 0;    // SO_DOMAIN
    int close_ret = 0;    // close(fd)

    friend bool operator==(const socket_outcome&, const socket_outcome&) = default;
};
static_assert(std::is_trivially_copyable_v<socket_outcome>);

inline std::string describe(const socket_input& in)
{
    std::string f = std::to_string(in.family);
    if (in.family >= 0 && in.family < sockmodel::family_names_count)
        f += " (" + std::string(sockmodel::family_names[in.family]) + ")";
    return "socket(" + f + ", " + hex(in.type) + ", " + std::to_string(in.protocol) + ")";
}

inline std::string describe(const socket_outcome& o)
{
    if (o.ret < 0)
        return ret_name(o.ret);
    return "fd " + std::to_string(o.ret) + " F_GETFD " + ret_name(o.fd_flags) + " F_GETFL " +
           (o.fl_flags < 0 ? ret_name(o.fl_flags) : hex(o.fl_flags)) + " SO_TYPE " + ret_name(o.so_type) +
           " SO_PROTOCOL " + ret_name(o.so_protocol) + " SO_DOMAIN " + ret_name(o.so_domain) + " close " +
           ret_name(o.close_ret);
}

inline int live_getsockopt_int(int fd, int optname)
{
    int v = 0;
    socklen_t len = sizeof v;
    if (::getsockopt(fd, SOL_SOCKET, optname, &v, &len) != 0)
        return -errno;
    if (len != sizeof v)
        return INT_MIN;
    return v;
}

inline int neg_errno(int r) { return r < 0 ? -errno : r; }

inline socket_outcome live_probe(const socket_input& in)
{
    socket_outcome o;
    const int fd = ::socket(in.family, in.type, in.protocol);
    if (fd < 0) {
        o.ret = -errno;
        return o;
    }
    o.ret = fd;
    o.fd_flags = neg_errno(::fcntl(fd, F_GETFD));
    o.fl_flags = neg_errno(::fcntl(fd, F_GETFL));
    o.so_type = live_getsockopt_int(fd, SO_TYPE);
    o.so_protocol = live_getsockopt_int(fd, SO_PROTOCOL);
    o.so_domain = live_getsockopt_int(fd, SO_DOMAIN);
    o.close_ret = neg_errno(::close(fd));
    return o;
}

template <class K>
int model_getsockopt_int(K& k, sockmodel::task_struct& t, int fd, int optname)
{
    int v = 0;
    const int r = k.getsockopt(t, fd, SOL_SOCKET, optname, &v);
    return r < 0 ? r : v;
}

template <class K>
socket_outcome model_probe(K& k, sockmodel::task_struct& t, const socket_input& in)
{
    socket_outcome o;
    const int fd = k.socket(t, in.family, in.type, in.protocol);
    o.ret = fd;
    if (fd < 0)
        return o;
    o.fd_flags = k.fcntl(t, fd, F_GETFD);
    o.fl_flags = k.fcntl(t, fd, F_GETFL);
    o.so_type = model_getsockopt_int(k, t, fd, SO_TYPE);
    o.so_protocol = model_getsockopt_int(k, t, fd, SO_PROTOCOL);
    o.so_domain = model_getsockopt_int(k, t, fd, SO_DOMAIN);
    o.close_ret = k.close(t, fd);
    return o;
}

// Gives a fresh model task the live process's descriptor table: sockets on
// 0..max, then the ones the live process does not have closed again, so both
// tables have the same lowest free fd. Then the rlimit.
template <class K>
void mirror_fds(K& k, sockmodel::task_struct& t, const fd_snapshot& snap)
{
    using abi = typename K::abi;
    if (t.files->open_count() != 0)
        throw std::logic_error("mirror_fds: the model task already has open fds");
    // The setup runs as root (a process sets its table and limits up before it
    // drops its privileges), then the task gets its credentials back.
    const sockmodel::cred who = t.cred;
    t.cred = sockmodel::cred::root();
    auto set_nofile = [&](unsigned long cur, unsigned long max) {
        const sockmodel::resource_limit lim{cur, max};
        if (const int r = k.setrlimit(t, abi::rlimit_nofile, &lim); r != 0)
            throw std::logic_error("mirror_fds: model setrlimit gave " + ret_name(r));
    };
    if (!snap.open_fds.empty()) {
        const int top = snap.open_fds.back();
        set_nofile(static_cast<unsigned long>(top) + 1,
                   std::max<unsigned long>(static_cast<unsigned long>(top) + 1, snap.nofile_max));
        for (int want = 0; want <= top; ++want) {
            const int fd = k.socket(t, sockmodel::af_unix, abi::sock_stream, 0);
            if (fd != want)
                throw std::logic_error("mirror_fds: model socket() gave " + ret_name(fd) + ", wanted fd " +
                                       std::to_string(want));
        }
        for (int fd = 0; fd <= top; ++fd)
            if (!std::binary_search(snap.open_fds.begin(), snap.open_fds.end(), fd))
                if (const int r = k.close(t, fd); r != 0)
                    throw std::logic_error("mirror_fds: model close(" + std::to_string(fd) + ") gave " + ret_name(r));
    }
    set_nofile(snap.nofile_cur, snap.nofile_max);
    t.cred = who;
    if (t.files->open_count() != snap.open_fds.size())
        throw std::logic_error("mirror_fds: open counts differ after mirroring");
}

// The outcomes of a list of socket() calls on the live kernel, with the
// descriptor table they started from.
struct grid_run {
    fd_snapshot snapshot;
    std::vector<socket_outcome> outcomes;
};

inline std::vector<socket_outcome> live_probe_all(std::span<const socket_input> inputs)
{
    std::vector<socket_outcome> out;
    out.reserve(inputs.size());
    for (const auto& in : inputs)
        out.push_back(live_probe(in));
    return out;
}

// (a) In this process, with this process's privileges.
inline grid_run run_grid_here(std::span<const socket_input> inputs)
{
    grid_run r;
    r.snapshot = snapshot_fds();
    r.outcomes = live_probe_all(inputs);
    return r;
}

// (b) In a forked child, optionally as nobody.
inline grid_run run_grid_in_child(std::span<const socket_input> inputs, identity who)
{
    const std::vector<unsigned char> bytes = run_in_child(who, [&](byte_sink& out) {
        const fd_snapshot snap = snapshot_fds();
        const std::vector<socket_outcome> outcomes = live_probe_all(inputs);
        put_snapshot(out, snap);
        out.put_vector(outcomes);
    });
    byte_source in(bytes);
    grid_run r;
    r.snapshot = get_snapshot(in);
    r.outcomes = in.get_vector<socket_outcome>();
    if (!in.done() || r.outcomes.size() != inputs.size())
        throw std::runtime_error("live_kernel: the child sent a malformed grid");
    return r;
}

// The differential grid: families -1..AF_MAX+4 and four far-out values; every
// base type 0..15 alone and with SOCK_NONBLOCK, SOCK_CLOEXEC or both; stray
// bits alone and with SOCK_STREAM; protocols around every table edge.
inline std::vector<int> grid_families()
{
    std::vector<int> v;
    for (int f = -1; f <= sockmodel::arch::host::af_max + 4; ++f)
        v.push_back(f);
    for (int f : {64, 255, 256, 1000, 65536, INT_MIN, INT_MAX})
        v.push_back(f);
    return v;
}

inline std::vector<int> grid_types()
{
    std::vector<int> v;
    std::set<int> seen;
    const auto add = [&](int t) {
        if (seen.insert(t).second)
            v.push_back(t);
    };
    const int flag_sets[] = {0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC};
    for (int base = 0; base <= 15; ++base)
        for (int flags : flag_sets)
            add(base | flags);
    for (int stray : {0x10, 0x100, 0x1000, 0x40000000, static_cast<int>(0x80000000U), -1}) {
        add(stray);
        add(stray | SOCK_STREAM);  // -1 | SOCK_STREAM is -1 again: listed once
    }
    return v;
}

// Every protocol number a family of the host cares about: IPPROTO_* around
// inetsw's and inetsw6's edges, every netlink protocol 0..MAX_LINKS+1, AF_UNIX
// and AF_VSOCK's own numbers, AF_XDP's, and ethertypes in network order.
inline std::vector<int> grid_protocols()
{
    std::vector<int> v = {-1, 0, 1, 2, 6, 17, 33, 40, 41, 44, 58, 132, 136, 255, 256, 262, 263, INT_MAX, INT_MIN};
    for (int p = 3; p <= 33; ++p)
        if (std::find(v.begin(), v.end(), p) == v.end())
            v.push_back(p);
    for (int ethertype : {ETH_P_ALL, ETH_P_IP, ETH_P_IPV6, ETH_P_ARP, 0xffff})
        v.push_back(static_cast<int>(htons(static_cast<std::uint16_t>(ethertype))));
    v.push_back(65536);
    return v;
}

inline std::vector<socket_input> socket_grid()
{
    std::vector<socket_input> v;
    const auto families = grid_families();
    const auto types = grid_types();
    const auto protocols = grid_protocols();
    v.reserve(families.size() * types.size() * protocols.size());
    for (int f : families)
        for (int t : types)
            for (int p : protocols)
                v.push_back({f, t, p});
    return v;
}

// ---------------------------------------------------------------------------
// What the model can be compared on

// Whether family F is registered in kernel K at boot, from its configuration.
template <class K>
constexpr bool model_registers(int family)
{
    return []<class... F>(sockmodel::family_list<F...>, int fam) {
        return ((F::family == fam) || ... || false);
    }(typename K::families{}, family);
}

// The family socket() would look up in net_families[] for this input, by the
// model's own pure checks in the kernel's order (the protocol hook, the flag
// check, the range checks, the PF_INET/SOCK_PACKET rewrite); -1 when an
// earlier check fails and no lookup happens.
template <class K>
constexpr int family_looked_up(const socket_input& in)
{
    using abi = typename K::abi;
    const int protocol = K::config::update_socket_protocol::apply(in.family, in.type, in.protocol);
    (void)protocol;
    if (sockmodel::sock_check_type_flags<abi>(in.type) != 0)
        return -1;
    const int type = sockmodel::sock_mask_type<abi>(in.type);
    if (sockmodel::sock_check_ranges<abi>(in.family, type) != 0)
        return -1;
    return sockmodel::sock_rewrite_family<abi>(in.family, type);
}

// ---------------------------------------------------------------------------
// Scripted scenarios: one generic lambda, run against `live_sys` in a child
// and against `model_sys` on the model; each records labelled observations.

struct observation {
    std::string label;
    long value;
};

inline bool operator==(const observation& a, const observation& b)
{
    return a.label == b.label && a.value == b.value;
}

class recorder {
public:
    // Records and passes the value through: `int fd = sys.note("open", sys.socket(...));`
    template <class T>
    T note(std::string label, T value)
    {
        obs_.push_back({std::move(label), static_cast<long>(value)});
        return value;
    }
    const std::vector<observation>& observations() const { return obs_; }

private:
    std::vector<observation> obs_;
};

// Every call answers a value >= 0 or -errno, as the model does.
class live_sys : public recorder {
public:
    static constexpr bool is_model = false;
    int socket(int family, int type, int protocol) { return neg_errno(::socket(family, type, protocol)); }
    // The raw system call, so a null sv reaches the kernel.
    int socketpair(int family, int type, int protocol, int* sv)
    {
        return neg_errno(static_cast<int>(::syscall(SYS_socketpair, family, type, protocol, sv)));
    }
    int close(int fd) { return neg_errno(::close(fd)); }
    int dup(int fd) { return neg_errno(::dup(fd)); }
    int fcntl(int fd, int cmd) { return neg_errno(::fcntl(fd, cmd)); }
    int getsockopt(int fd, int optname) { return live_getsockopt_int(fd, optname); }
    int set_nofile(unsigned long soft)
    {
        struct ::rlimit rl {};
        if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return -errno;
        rl.rlim_cur = soft;
        return neg_errno(::setrlimit(RLIMIT_NOFILE, &rl));
    }
    unsigned long nofile() const { return limits().rlim_cur; }
    unsigned long nofile_max() const { return limits().rlim_max; }
    int open_count() const { return static_cast<int>(snapshot_fds().open_fds.size()); }

private:
    static struct ::rlimit limits()
    {
        struct ::rlimit rl {};
        if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
            throw_errno("live_kernel: getrlimit");
        return rl;
    }
};

template <class K>
class model_sys : public recorder {
public:
    static constexpr bool is_model = true;
    model_sys(K& k, sockmodel::task_struct& t) : k_(k), t_(t) {}
    int socket(int family, int type, int protocol) { return k_.socket(t_, family, type, protocol); }
    int socketpair(int family, int type, int protocol, int* sv) { return k_.socketpair(t_, family, type, protocol, sv); }
    int close(int fd) { return k_.close(t_, fd); }
    int dup(int fd) { return k_.dup(t_, fd); }
    int fcntl(int fd, int cmd) { return k_.fcntl(t_, fd, cmd); }
    int getsockopt(int fd, int optname) { return model_getsockopt_int(k_, t_, fd, optname); }
    // setrlimit(RLIMIT_NOFILE) keeping the hard limit, as the live side does.
    int set_nofile(unsigned long soft)
    {
        const sockmodel::resource_limit lim{soft, nofile_max()};
        return k_.setrlimit(t_, K::abi::rlimit_nofile, &lim);
    }
    unsigned long nofile() const { return t_.rlimit(K::abi::rlimit_nofile).rlim_cur; }
    unsigned long nofile_max() const { return t_.rlimit(K::abi::rlimit_nofile).rlim_max; }
    int open_count() const { return static_cast<int>(t_.files->open_count()); }

private:
    K& k_;
    sockmodel::task_struct& t_;
};

struct scenario_run {
    fd_snapshot snapshot;
    std::vector<observation> observations;
};

// The scenario on the live kernel, in a forked child with identity `who`.
template <class Scenario>
scenario_run run_scenario_live(identity who, Scenario&& scenario)
{
    const std::vector<unsigned char> bytes = run_in_child(who, [&](byte_sink& out) {
        const fd_snapshot snap = snapshot_fds();
        live_sys sys;
        scenario(sys);
        put_snapshot(out, snap);
        out.put<std::uint64_t>(sys.observations().size());
        for (const auto& o : sys.observations()) {
            out.put_string(o.label);
            out.put(o.value);
        }
    });
    byte_source in(bytes);
    scenario_run r;
    r.snapshot = get_snapshot(in);
    const auto n = in.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < n; ++i) {
        std::string label = in.get_string();
        const long value = in.get<long>();
        r.observations.push_back({std::move(label), value});
    }
    if (!in.done())
        throw std::runtime_error("live_kernel: the child sent trailing bytes");
    return r;
}

// The scenario on the model, from the live run's starting descriptor table.
template <class K, class Scenario>
std::vector<observation> run_scenario_model(K& k, sockmodel::task_struct& t, const fd_snapshot& snap,
                                            Scenario&& scenario)
{
    mirror_fds(k, t, snap);
    model_sys<K> sys(k, t);
    scenario(sys);
    return sys.observations();
}

// Line-by-line differences, "" when the two runs agree.
inline std::vector<std::string> diff_observations(const std::vector<observation>& live,
                                                  const std::vector<observation>& model)
{
    std::vector<std::string> out;
    const std::size_t n = std::max(live.size(), model.size());
    for (std::size_t i = 0; i < n; ++i) {
        const observation* l = i < live.size() ? &live[i] : nullptr;
        const observation* m = i < model.size() ? &model[i] : nullptr;
        if (l && m && *l == *m)
            continue;
        const auto show = [](const observation* o) {
            return o ? o->label + " = " + ret_name(static_cast<int>(o->value)) : std::string("(nothing)");
        };
        std::string line(1, '#');  // not "#" + std::to_string(i): see ret_name
        line += std::to_string(i);
        out.push_back(line + ": kernel " + show(l) + " | model " + show(m));
    }
    return out;
}

// The value recorded under `label` (the first one), or throws.
inline long observed(const std::vector<observation>& obs, std::string_view label)
{
    for (const auto& o : obs)
        if (o.label == label)
            return o.value;
    throw std::out_of_range("no observation labelled " + std::string(label));
}

}  // namespace live_kernel
