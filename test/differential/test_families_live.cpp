// The model kernel against the live kernel, for the families of issue 8:
// AF_INET6, AF_NETLINK, AF_PACKET (and (AF_INET, SOCK_PACKET)), AF_VSOCK and
// AF_XDP. For every cell of the grid (types 0..15, with and without
// SOCK_NONBLOCK|SOCK_CLOEXEC, each family's protocol list) and six
// credentials (root; root after unshare(CLONE_NEWNET); root after
// unshare(CLONE_NEWUSER); nobody; nobody after unshare(CLONE_NEWUSER);
// nobody after unshare(CLONE_NEWUSER|CLONE_NEWNET)), the live socket()
// result (errno, or SO_TYPE/SO_PROTOCOL/SO_DOMAIN, F_GETFL and FD_CLOEXEC)
// is compared with the model kernel's, with the model's run-time verdict and,
// where the task is in init_net, with the constant (boot) verdict. Every
// counter of the model kernel must be back to zero afterwards.
//
// Needs root (it drops to nobody and unshares namespaces in children).
// Prints the counts per credential and family, one row each.
#include "live_kernel.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace lk = live_kernel;
using K = sockmodel::kernel<>;
using abi = K::abi;

struct cell {
    int family, type, protocol;
};

struct outcome {
    int err = 0;  // 0 on success, else the (positive) errno
    int so_type = 0, so_protocol = 0, so_domain = 0, fl = 0, cloexec = 0;
    friend bool operator==(const outcome&, const outcome&) = default;
};

std::string describe(const outcome& o)
{
    if (o.err)
        return std::string(sockmodel::errno_name(-o.err));
    char b[128];
    std::snprintf(b, sizeof b, "ok type=%d proto=%d domain=%d fl=%#o cloexec=%d", o.so_type, o.so_protocol,
                  o.so_domain, o.fl, o.cloexec);
    return b;
}

std::vector<cell> grid()
{
    std::vector<cell> g;
    const int flag_sets[] = {0, SOCK_NONBLOCK | SOCK_CLOEXEC};
    auto add = [&](int family, std::vector<int> protos, int tlo, int thi) {
        for (int f : flag_sets)
            for (int t = tlo; t <= thi; ++t)
                for (int p : protos)
                    g.push_back({family, t | f, p});
    };
    add(AF_INET6, {0, 1, 6, 17, 41, 58, 132, 136, 255, 256, 262, -1, 263}, 0, 15);
    std::vector<int> nl;
    for (int p = -1; p <= 33; ++p)
        nl.push_back(p);
    nl.push_back(255);
    nl.push_back(256);
    add(AF_NETLINK, nl, 0, 15);
    const std::vector<int> packet = {0, 0x0300, 8, 0xDD86, 3, 65535, 65536, -1};
    add(AF_PACKET, packet, 0, 15);
    std::vector<int> inet_spkt = packet;
    inet_spkt.push_back(263);
    add(AF_INET, inet_spkt, SOCK_PACKET, SOCK_PACKET);
    add(AF_VSOCK, {0, 1, -1, 40, 255}, 0, 15);
    add(AF_XDP, {0, 1, -1, 44, 255}, 0, 15);
    return g;
}

// The credentials, as the live child takes them and as the model task gets them.
struct credential {
    const char* tag;
    bool drop;            // to nobody: setgroups(0), setresgid/setresuid 65534
    unsigned long share;  // then unshare() these
};

const credential credentials[] = {
    {"root", false, 0},
    {"root+netns", false, CLONE_NEWNET},
    {"root+userns", false, CLONE_NEWUSER},
    {"nobody", true, 0},
    {"nobody+userns", true, CLONE_NEWUSER},
    {"nobody+userns+netns", true, CLONE_NEWUSER | CLONE_NEWNET},
};

// The live kernel, in a forked child with the credential; the outcomes come
// back over the child's pipe. Throws if the child cannot take the credential.
std::vector<outcome> run_live(const credential& c, const std::vector<cell>& g)
{
    std::vector<unsigned char> bytes;
    try {
        bytes = sockmodel_host::run_in_child([&](sockmodel_host::child_context& cx) {
            if (c.drop)
                lk::drop_privileges();
            if (c.share && ::unshare(static_cast<int>(c.share)) != 0)
                throw sockmodel_host::setup_error("unshare", errno);
            std::vector<outcome> res(g.size());
            for (std::size_t i = 0; i < g.size(); ++i) {
                const int fd = static_cast<int>(::syscall(SYS_socket, g[i].family, g[i].type, g[i].protocol));
                outcome& o = res[i];
                if (fd < 0) {
                    o.err = errno;
                    continue;
                }
                socklen_t len = sizeof(int);
                ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &o.so_type, &len);
                len = sizeof(int);
                ::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &o.so_protocol, &len);
                len = sizeof(int);
                ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &o.so_domain, &len);
                o.fl = ::fcntl(fd, F_GETFL);
                o.cloexec = (::fcntl(fd, F_GETFD) & FD_CLOEXEC) ? 1 : 0;
                ::close(fd);
            }
            cx.out.put_vector(res);
        });
    } catch (const sockmodel_host::harness_error& e) {
        throw std::runtime_error(std::string(c.tag) + ": the live child failed: " + e.what());
    } catch (const sockmodel_host::child_failure& e) {
        throw std::runtime_error(std::string(c.tag) + ": the live child failed: " + e.what());
    }
    lk::byte_source in(bytes);
    std::vector<outcome> out = in.get_vector<outcome>();
    if (!in.done() || out.size() != g.size())
        throw std::runtime_error(std::string(c.tag) + ": the live child sent a malformed grid");
    return out;
}

std::string slurp(const char* path)
{
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// root's credentials as the live kernel has them: ids, groups, CapEff.
sockmodel::cred live_root_cred()
{
    sockmodel::cred c = sockmodel::cred::root();
    std::istringstream st(slurp("/proc/self/status"));
    for (std::string line; std::getline(st, line);)
        if (line.rfind("CapEff:", 0) == 0)
            c.cap_effective.val = std::stoull(line.substr(7), nullptr, 16);
    gid_t groups[64];
    const int n = ::getgroups(64, groups);
    for (int i = 0; i < n; ++i)
        c.group_info.push_back(groups[i]);
    c.gid = c.egid = c.sgid = c.fsgid = ::getegid();
    return c;
}

outcome run_model(K& k, sockmodel::task_struct& t, const cell& c)
{
    outcome o;
    const int fd = k.socket(t, c.family, c.type, c.protocol);
    if (fd < 0) {
        o.err = -fd;
        return o;
    }
    k.getsockopt(t, fd, abi::sol_socket, abi::so_type, &o.so_type);
    k.getsockopt(t, fd, abi::sol_socket, abi::so_protocol, &o.so_protocol);
    k.getsockopt(t, fd, abi::sol_socket, abi::so_domain, &o.so_domain);
    o.fl = k.fcntl(t, fd, sockmodel::f_getfl);
    o.cloexec = k.fcntl(t, fd, sockmodel::f_getfd) & sockmodel::fd_cloexec_flag;
    k.close(t, fd);
    return o;
}

outcome from_verdict(const sockmodel::socket_verdict& v)
{
    outcome o;
    if (v.err) {
        o.err = -v.err;
        return o;
    }
    o.so_type = v.type;
    o.so_protocol = v.protocol;
    o.so_domain = v.family;
    o.fl = v.f_flags;
    o.cloexec = v.cloexec ? 1 : 0;
    return o;
}

}  // namespace

TEST_CASE("the new families against the live kernel: six credentials, model, run-time verdict and boot verdict")
{
    if (!lk::root_or_skip("drops to nobody and unshares user and network namespaces in children"))
        return;
    const std::vector<cell> g = grid();
    std::vector<std::string> shown;  // the first mismatches, in full
    auto mismatch = [&](const std::string& what) {
        if (shown.size() < 40)
            shown.push_back(what);
    };

    K k;
    // The host's sysctls, in init_net.
    {
        unsigned lo = 1, hi = 0;
        std::istringstream r(slurp("/proc/sys/net/ipv4/ping_group_range"));
        r >> lo >> hi;
        k.init_net.sysctl.ping_group_range.low = lo;
        k.init_net.sysctl.ping_group_range.high = hi;
        const std::string m = slurp("/proc/sys/net/mptcp/enabled");
        if (!m.empty())
            k.init_net.sysctl.mptcp_enabled = m[0] != '0';
        const std::string v6 = slurp("/proc/sys/net/ipv6/bindv6only");
        if (!v6.empty())
            k.init_net.sysctl.bindv6only = v6[0] != '0';
    }
    const sockmodel::cred root = live_root_cred();

    struct tally {
        int cells = 0, live_ok = 0, mismatches = 0;
    };
    std::map<std::pair<std::string, int>, tally> per;  // (cred, family); AF_PACKET * 100: (AF_INET, SOCK_PACKET)
    std::size_t agreed = 0;
    for (const credential& c : credentials) {
        const std::string who = c.tag;
        CAPTURE(who);
        const std::vector<outcome> live = run_live(c, g);
        sockmodel::task_struct& t = k.spawn(c.drop ? sockmodel::cred::user(65534, 65534) : root);
        if (c.share) {
            const int err = k.unshare(t, c.share);
            CHECK_MESSAGE(err == 0, std::string(c.tag) << ": model unshare " << std::string(sockmodel::errno_name(err)));
            if (err)
                continue;
        }
        for (std::size_t i = 0; i < g.size(); ++i) {
            const cell& x = g[i];
            auto& counts = per[{c.tag, x.family == AF_INET ? AF_PACKET * 100 : x.family}];
            ++counts.cells;
            counts.live_ok += live[i].err == 0;
            const outcome m = run_model(k, t, x);
            const outcome v = from_verdict(
                sockmodel::socket_verdict_for(k, *t.net_ns, t.cred, x.family, x.type, x.protocol));
            char where[96];
            std::snprintf(where, sizeof where, "%s socket(%d, %#x, %d)", c.tag, x.family, x.type, x.protocol);
            bool ok = true;
            if (!(m == live[i])) {
                mismatch(std::string(where) + ": live " + describe(live[i]) + ", model " + describe(m));
                ok = false;
            }
            if (!(v == live[i])) {
                mismatch(std::string(where) + ": live " + describe(live[i]) + ", verdict " + describe(v));
                ok = false;
            }
            // The constant form (init_user_ns-owned netns, boot-time family states)
            // answers the same wherever those hold.
            if (t.net_ns == &k.init_net) {
                const outcome v0 = from_verdict(
                    sockmodel::socket_verdict_for<K>(k.init_net.sysctl, t.cred, x.family, x.type, x.protocol));
                if (!(v0 == live[i])) {
                    mismatch(std::string(where) + ": live " + describe(live[i]) + ", boot verdict " + describe(v0));
                    ok = false;
                }
            }
            if (ok)
                ++agreed;
            else
                ++counts.mismatches;
        }
    }

    for (const std::string& s : shown)
        MESSAGE("MISMATCH " << s);
    char line[128];
    std::snprintf(line, sizeof line, "%-22s %-14s %6s %8s %10s", "credential", "family", "cells", "live ok",
                  "mismatches");
    MESSAGE(std::string(line));
    for (const auto& row : per) {
        const auto& key = row.first;  // not a structured binding: CHECK_MESSAGE captures it in a lambda
        const tally& v = row.second;
        const std::string fam =
            key.second == AF_PACKET * 100 ? "INET+SPKT" : std::string(sockmodel::trace::decode_family(key.second));
        std::snprintf(line, sizeof line, "%-22s %-14s %6d %8d %10d", key.first.c_str(), fam.c_str(), v.cells,
                      v.live_ok, v.mismatches);
        MESSAGE(std::string(line));
        CHECK_MESSAGE(v.mismatches == 0, key.first << " " << fam << ": " << v.mismatches << " of " << v.cells
                                                   << " cells disagree with the live kernel");
    }
    MESSAGE(agreed << " of " << g.size() * std::size(credentials)
                   << " (credential, cell) pairs agree with the live kernel everywhere");

    k.exit_all();
    CHECK_MESSAGE(k.counters() == sockmodel::kernel_counters{}, "the model kernel's counters back to zero after exit_all");
}
