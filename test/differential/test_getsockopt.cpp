// getsockopt(2) against the live kernel, over a grid: every socket the
// configured families make (fresh, and both ends of the socketpairs AF_UNIX
// makes) x level (SOL_SOCKET and a dozen protocol levels) x option (every
// SOL_SOCKET number 0..90 and some far out; one the protocol levels do not
// know) x optlen (room for any value, an int, 2, 0, -1, and a bad optlen or
// optval pointer), as root and as nobody. Every row compares the return, the
// optlen written back and the whole optval buffer.
//
// Not compared: SO_COOKIE, SO_NETNS_COOKIE (counters of the host) and
// SO_PEERPIDFD (a new pidfd of the peer): docs/differences.md. The pid of
// SO_PEERCRED is the host's: its first four bytes are not compared. At the
// protocol levels only a valid optval and optlen are tried: there the model
// answers without reading them (docs/differences.md), and the host answers a
// negative optlen or an unwritable optval at a protocol's own level with
// EINVAL/EFAULT after the protocol's ENOPROTOOPT (not the protocol's code:
// its handlers would fault on a bad optlen first, and they do not).
#include "live_kernel.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <grp.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <span>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace lk = live_kernel;
using K = sockmodel::kernel<>;

struct sock_spec {
    int family, type, protocol;
    bool pair;
};

const std::vector<sock_spec>& sock_specs()
{
    static const std::vector<sock_spec> v = {
        {AF_UNIX, SOCK_STREAM, 0, false},    {AF_UNIX, SOCK_DGRAM, 0, false},   {AF_UNIX, SOCK_SEQPACKET, 0, false},
        {AF_UNIX, SOCK_STREAM, 0, true},     {AF_UNIX, SOCK_DGRAM, 0, true},    {AF_UNIX, SOCK_SEQPACKET, 0, true},
        {AF_INET, SOCK_STREAM, 0, false},    {AF_INET, SOCK_DGRAM, 0, false},   {AF_INET, SOCK_RAW, IPPROTO_ICMP, false},
        {AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, false}, {AF_INET, SOCK_STREAM, IPPROTO_MPTCP, false},
        {AF_INET6, SOCK_STREAM, 0, false},   {AF_INET6, SOCK_DGRAM, 0, false},  {AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, false},
        {AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE, false}, {AF_INET6, SOCK_STREAM, IPPROTO_MPTCP, false},
        {AF_NETLINK, SOCK_RAW, 0, false},    {AF_NETLINK, SOCK_DGRAM, 0, false},
        {AF_PACKET, SOCK_RAW, htons(ETH_P_ALL), false}, {AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL), false},
        {AF_PACKET, SOCK_PACKET, htons(ETH_P_ALL), false},
        {AF_VSOCK, SOCK_STREAM, 0, false},   {AF_VSOCK, SOCK_SEQPACKET, 0, false},
        {AF_XDP, SOCK_RAW, 0, false},
    };
    return v;
}

// Excluded: the host decides the value at run time.
constexpr int excluded_options[] = {57 /* SO_COOKIE */, 71 /* SO_NETNS_COOKIE */, 77 /* SO_PEERPIDFD */};

bool excluded(int level, int optname)
{
    if (level != SOL_SOCKET)
        return false;
    for (int o : excluded_options)
        if (o == optname)
            return true;
    return false;
}

std::vector<std::pair<int, int>> level_options()
{
    std::vector<std::pair<int, int>> v;
    for (int o = -1; o <= 90; ++o)
        if (!excluded(SOL_SOCKET, o))
            v.push_back({SOL_SOCKET, o});
    v.push_back({SOL_SOCKET, 1000});
    v.push_back({SOL_SOCKET, INT_MIN});
    // Levels of IP, TCP, UDP, IPv6, UDP-Lite, raw, packet, netlink, vsock, XDP,
    // and none, with an option none of them knows.
    for (int level : {0, 6, 17, 41, 136, 255, 263, 270, 40, 283, 1000, -1})
        v.push_back({level, 10000});
    return v;
}

enum class len_case { big, int_size, two, zero, negative, bad_optlen, bad_optval };
constexpr len_case len_cases[] = {len_case::big,      len_case::int_size,   len_case::two,       len_case::zero,
                                  len_case::negative, len_case::bad_optlen, len_case::bad_optval};
constexpr len_case protocol_level_len_cases[] = {len_case::big, len_case::int_size, len_case::two, len_case::zero};
std::span<const len_case> cases_for(int level)
{
    if (level == SOL_SOCKET)
        return len_cases;
    return protocol_level_len_cases;
}
const char* len_name(len_case c)
{
    switch (c) {
    case len_case::big: return "optlen 64";
    case len_case::int_size: return "optlen 4";
    case len_case::two: return "optlen 2";
    case len_case::zero: return "optlen 0";
    case len_case::negative: return "optlen -1";
    case len_case::bad_optlen: return "bad optlen pointer";
    case len_case::bad_optval: return "bad optval pointer, optlen 64";
    }
    return "?";
}
int len_value(len_case c)
{
    switch (c) {
    case len_case::big: case len_case::bad_optval: case len_case::bad_optlen: return 64;
    case len_case::int_size: return 4;
    case len_case::two: return 2;
    case len_case::zero: return 0;
    case len_case::negative: return -1;
    }
    return 0;
}

struct row {
    int ret;
    int optlen;
    std::array<unsigned char, 64> val;
    friend bool operator==(const row&, const row&) = default;
};

std::string describe(const row& r)
{
    std::string s = lk::ret_name(r.ret) + " optlen " + std::to_string(r.optlen) + " val";
    for (int i = 0; i < 16; ++i) {
        char b[4];
        std::snprintf(b, sizeof b, " %02x", r.val[static_cast<std::size_t>(i)]);
        s += b;
    }
    return s;
}

// The live call: the raw system call, (char*)1 and (int*)1 as the bad pointers.
template <class Get>
row probe(Get&& get, len_case c, bool mask_pid)
{
    row r{};
    r.val.fill(0xaa);
    r.optlen = len_value(c);
    void* optval = c == len_case::bad_optval ? nullptr : r.val.data();
    int* optlen = c == len_case::bad_optlen ? nullptr : &r.optlen;
    r.ret = get(optval, optlen);
    if (mask_pid && r.ret == 0)
        std::memset(r.val.data(), 0, 4);
    return r;
}

struct socket_run {
    std::vector<int> socket_ret;  // per spec: the fd (or first fd), or -errno
    std::vector<row> rows;
};

template <class Sys>
socket_run run_all(Sys&& sys)
{
    socket_run out;
    const auto opts = level_options();
    for (const sock_spec& s : sock_specs()) {
        int fds[2] = {-1, -1};
        int r = 0;
        if (s.pair) {
            r = sys.socketpair(s.family, s.type, s.protocol, fds);
        } else {
            r = sys.socket(s.family, s.type, s.protocol);
            fds[0] = r;
        }
        out.socket_ret.push_back(r < 0 ? r : fds[0]);
        if (r < 0)
            continue;
        for (int fd : fds) {
            if (fd < 0)
                continue;
            for (const auto& [level, optname] : opts)
                for (len_case c : cases_for(level))
                    out.rows.push_back(probe(
                        [&, lvl = level, opt = optname](void* optval, int* optlen) {
                            return sys.get(fd, lvl, opt, optval, optlen);
                        },
                        c, level == SOL_SOCKET && optname == SO_PEERCRED));
            sys.close(fd);
        }
    }
    return out;
}

struct live_side {
    int socket(int f, int t, int p) { return sys_ret(::socket(f, t, p)); }
    int socketpair(int f, int t, int p, int* sv) { return sys_ret(::socketpair(f, t, p, sv)); }
    int close(int fd) { return ::close(fd); }
    int get(int fd, int level, int optname, void* optval, int* optlen)
    {
        // A pointer the kernel cannot write: the page at address 1.
        return sys_ret(::syscall(SYS_getsockopt, fd, level, optname, optval ? optval : reinterpret_cast<void*>(1),
                                 optlen ? optlen : reinterpret_cast<int*>(1)));
    }
    static int sys_ret(long r) { return r < 0 ? -errno : static_cast<int>(r); }
};

struct model_side {
    K& k;
    sockmodel::task_struct& t;
    int socket(int f, int ty, int p) { return k.socket(t, f, ty, p); }
    int socketpair(int f, int ty, int p, int* sv) { return k.socketpair(t, f, ty, p, sv); }
    int close(int fd) { return k.close(t, fd); }
    int get(int fd, int level, int optname, void* optval, int* optlen)
    {
        return k.getsockopt(t, fd, level, optname, optval, optlen);
    }
};

long read_long(const char* path, int field, long fallback)
{
    std::ifstream f(path);
    long v = fallback;
    for (int i = 0; i <= field; ++i)
        if (!(f >> v))
            return fallback;
    return v;
}

}  // namespace

TEST_CASE("differential: getsockopt grid, family x type x level x option x optlen, root and nobody")
{
    if (!lk::root_or_skip("the getsockopt grid runs as root and as nobody"))
        return;
    long total = 0, mismatches = 0;
    for (lk::identity who : {lk::identity::inherit, lk::identity::nobody}) {
        std::vector<gid_t> groups;
        lk::fd_snapshot snap;
        socket_run live;
        {
            const auto bytes = lk::run_in_child(who, [&](lk::byte_sink& out) {
                std::vector<gid_t> g(64);
                const int n = ::getgroups(64, g.data());
                g.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
                const lk::fd_snapshot s = lk::snapshot_fds();
                const socket_run r = run_all(live_side{});
                out.put_vector(g);
                lk::put_snapshot(out, s);
                out.put_vector(r.socket_ret);
                out.put_vector(r.rows);
            });
            lk::byte_source in(bytes);
            groups = in.get_vector<gid_t>();
            snap = lk::get_snapshot(in);
            live.socket_ret = in.get_vector<int>();
            live.rows = in.get_vector<row>();
        }
        K k;
        k.init_net.sysctl = lk::host_net_sysctl();
        k.init_net.sysctl.tcp_wmem_default = static_cast<int>(read_long("/proc/sys/net/ipv4/tcp_wmem", 1, 16384));
        k.init_net.sysctl.tcp_rmem_default = static_cast<int>(read_long("/proc/sys/net/ipv4/tcp_rmem", 1, 131072));
        k.init_net.sysctl.txrehash = static_cast<int>(read_long("/proc/sys/net/core/txrehash", 0, 1));
        sockmodel::cred c = lk::model_cred(who);
        c.group_info.assign(groups.begin(), groups.end());
        sockmodel::task_struct& t = k.spawn(c);
        lk::mirror_fds(k, t, snap);
        const socket_run model = run_all(model_side{k, t});

        CHECK(live.socket_ret == model.socket_ret);
        REQUIRE(live.rows.size() == model.rows.size());
        // Name each row again to report it.
        const auto opts = level_options();
        std::size_t i = 0;
        long here = 0, bad = 0;
        for (std::size_t s = 0; s < sock_specs().size(); ++s) {
            if (live.socket_ret[s] < 0)
                continue;
            const sock_spec& spec = sock_specs()[s];
            for (int end = 0; end < (spec.pair ? 2 : 1); ++end)
                for (const auto& [level, optname] : opts)
                    for (len_case lc : cases_for(level)) {
                        ++here;
                        if (!(live.rows[i] == model.rows[i])) {
                            ++bad;
                            if (bad <= 400)
                                MESSAGE(std::string(lk::identity_name(who))
                                        << " " << lk::describe(lk::socket_input{spec.family, spec.type, spec.protocol})
                                        << (spec.pair ? " (socketpair end " + std::to_string(end) + ")" : "")
                                        << " level " << level << " optname " << optname << " " << len_name(lc)
                                        << ": kernel " << describe(live.rows[i]) << " | model "
                                        << describe(model.rows[i]));
                        }
                        ++i;
                    }
        }
        std::printf("getsockopt grid (%s): %zu sockets, %ld rows, %ld agree, %ld mismatches\n", lk::identity_name(who),
                    live.socket_ret.size(), here, here - bad, bad);
        total += here;
        mismatches += bad;
    }
    std::printf("getsockopt grid: %ld rows, %ld mismatches (excluded: SO_COOKIE, SO_NETNS_COOKIE, SO_PEERPIDFD)\n",
                total, mismatches);
    CHECK(mismatches == 0);
}
