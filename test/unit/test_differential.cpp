// Differential conformance: the model's socket() against the live kernel's,
// over a grid of (family, type, protocol), as root and as an unprivileged user;
// and the constexpr verdict against the model's own run-time path.
#include "live_kernel.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/utsname.h>
#include <netinet/in.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace lk = live_kernel;
using model_kernel = sockmodel::kernel<>;
using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start)
{
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

struct grid_comparison {
    std::size_t compared = 0;
    std::size_t skipped = 0;
    std::size_t mismatches = 0;
    std::map<int, std::size_t> skips_by_family;
    std::vector<std::string> first_mismatches;
};

// The model, from the live run's starting descriptor table, over the same
// inputs. An input whose lookup family the model does not register is skipped
// unless the live kernel also answered EAFNOSUPPORT.
grid_comparison compare_grid(const char* name, lk::identity who, const std::vector<lk::socket_input>& inputs,
                             const lk::grid_run& live)
{
    grid_comparison c;
    model_kernel k;
    k.init_net.sysctl = lk::host_net_sysctl();
    sockmodel::task_struct& t = k.spawn(lk::model_cred(who));
    lk::mirror_fds(k, t, live.snapshot);
    REQUIRE(live.outcomes.size() == inputs.size());

    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const lk::socket_input& in = inputs[i];
        const lk::socket_outcome& kernel_says = live.outcomes[i];
        const int looked_up = lk::family_looked_up<model_kernel>(in);
        if (looked_up >= 0 && !lk::model_registers<model_kernel>(looked_up) && kernel_says.ret != -EAFNOSUPPORT) {
            ++c.skipped;
            ++c.skips_by_family[looked_up];
            continue;
        }
        const lk::socket_outcome model_says = lk::model_probe(k, t, in);
        ++c.compared;
        if (model_says == kernel_says)
            continue;
        ++c.mismatches;
        if (c.first_mismatches.size() < 30)
            c.first_mismatches.push_back(std::string(name) + ": " + lk::describe(in) +
                                         "\n      model:  " + lk::describe(model_says) +
                                         "\n      kernel: " + lk::describe(kernel_says));
    }

    // Everything the model opened, the mirrored table included, goes away with the task.
    k.exit(t);
    CHECK(k.counters() == sockmodel::kernel_counters{});
    return c;
}

std::string skips_text(const grid_comparison& c)
{
    std::ostringstream s;
    for (const auto& [family, n] : c.skips_by_family) {
        s << "\n  " << family;
        if (family >= 0 && family < sockmodel::family_names_count)
            s << " (" << sockmodel::family_names[family] << ")";
        s << ": " << n;
    }
    return s.str();
}

void report(const char* name, const grid_comparison& c, const lk::grid_run& live, double live_ms, double model_ms)
{
    std::string fds;
    for (int fd : live.snapshot.open_fds)
        fds += " " + std::to_string(fd);
    MESSAGE(std::string(name) << ": the live process started with fds {" << fds << " }, RLIMIT_NOFILE "
                              << live.snapshot.nofile_cur);
    MESSAGE(std::string(name) << ": " << c.compared << " compared, " << c.skipped << " skipped (family not in the model), "
                 << c.mismatches << " mismatches; live " << live_ms << " ms, model " << model_ms << " ms"
                 << "\nskips by family:" << skips_text(c));
    if (!c.first_mismatches.empty()) {
        std::string lines;
        for (const auto& l : c.first_mismatches)
            lines += "\n  " + l;
        MESSAGE(std::string(name) << ": first " << c.first_mismatches.size() << " mismatches:" << lines);
    }
    CHECK(c.mismatches == 0);
}

}  // namespace

TEST_CASE("socket() agrees with the live kernel over the grid, as root and as an unprivileged user")
{
    REQUIRE_MESSAGE(lk::running_as_root(), "the differential tests compare root and nobody; run them as root");
    struct utsname u {};
    ::uname(&u);
    const sockmodel::net_sysctl host = lk::host_net_sysctl();
    MESSAGE("live kernel " << u.release << ", ping_group_range " << host.ping_group_range.low << " "
                           << host.ping_group_range.high << ", mptcp.enabled " << host.mptcp_enabled);

    const std::vector<lk::socket_input> inputs = lk::socket_grid();
    MESSAGE("grid: " << lk::grid_families().size() << " families x " << lk::grid_types().size() << " types x "
                     << lk::grid_protocols().size() << " protocols = " << inputs.size() << " inputs");
    CHECK(inputs.size() >= 20000);

    SUBCASE("as root, in this process")
    {
        auto start = clock_type::now();
        const lk::grid_run live = lk::run_grid_here(inputs);
        const double live_ms = ms_since(start);
        start = clock_type::now();
        const grid_comparison c = compare_grid("root", lk::identity::inherit, inputs, live);
        report("root", c, live, live_ms, ms_since(start));
    }

    SUBCASE("as nobody, in a forked child without capabilities")
    {
        auto start = clock_type::now();
        const lk::grid_run live = lk::run_grid_in_child(inputs, lk::identity::nobody);
        const double live_ms = ms_since(start);
        start = clock_type::now();
        const grid_comparison c = compare_grid("nobody", lk::identity::nobody, inputs, live);
        report("nobody", c, live, live_ms, ms_since(start));
    }
}

// ---------------------------------------------------------------------------
// The verdict at compile time.
//
// Credentials are built inside the constant expression, std::vector member
// and all (C++20 transient allocation).

namespace {

constexpr sockmodel::cred constexpr_user(std::initializer_list<sockmodel::kgid_t> groups = {})
{
    sockmodel::cred c = sockmodel::cred::user(65534, 65534);
    c.with_groups(groups);
    return c;
}

constexpr sockmodel::socket_verdict verdict(const sockmodel::net_sysctl& s, const sockmodel::cred& c, int family,
                                            int type, int protocol)
{
    return sockmodel::socket_verdict_for<model_kernel>(s, c, family, type, protocol);
}

constexpr sockmodel::net_sysctl sysctl_default{};
constexpr sockmodel::net_sysctl sysctl_ping_100_200{{100, 200}};
constexpr sockmodel::net_sysctl sysctl_no_mptcp{{1, 0}, false};

static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM, 0).protocol == IPPROTO_TCP);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM, 0).ops ==
              &sockmodel::inet_stream_ops<model_kernel>);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_DGRAM, 0).protocol == IPPROTO_UDP);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_RAW, 1).err == 0);
static_assert(verdict(sysctl_default, constexpr_user(), AF_INET, SOCK_RAW, 1).err == -EPERM);
static_assert(verdict(sysctl_default, constexpr_user(), AF_INET, SOCK_RAW, 0).err == -EPROTONOSUPPORT);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_DGRAM, IPPROTO_ICMP).err == -EACCES);
static_assert(verdict(sysctl_ping_100_200, constexpr_user({150}), AF_INET, SOCK_DGRAM, IPPROTO_ICMP).err == 0);
static_assert(verdict(sysctl_ping_100_200, constexpr_user({99, 201}), AF_INET, SOCK_DGRAM, IPPROTO_ICMP).err ==
              -EACCES);
static_assert(verdict(sysctl_no_mptcp, sockmodel::cred::root(), AF_INET, SOCK_STREAM, IPPROTO_MPTCP).err == -ENOPROTOOPT);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_UNIX, SOCK_RAW, 0).type == SOCK_DGRAM);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_UNIX, SOCK_STREAM, AF_UNIX).protocol == 0);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
                  .f_flags == (O_RDWR | O_NONBLOCK));
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0).cloexec);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM | 0x10, 0).err == -EINVAL);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM | 0x10, 0).where ==
              "__sys_socket_create");
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_MAX, SOCK_STREAM, 0).err == -EAFNOSUPPORT);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_PACKET, 0).err == -EAFNOSUPPORT);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, 0, 0).err == -ESOCKTNOSUPPORT);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM, IPPROTO_MAX).err == -EINVAL);

// The skip rule of the grid is a constant expression too.
static_assert(live_kernel::model_registers<model_kernel>(AF_UNIX));
static_assert(live_kernel::model_registers<model_kernel>(AF_INET));
static_assert(!live_kernel::model_registers<model_kernel>(AF_INET6));
static_assert(live_kernel::family_looked_up<model_kernel>({AF_INET, SOCK_PACKET, 0}) == AF_PACKET);
static_assert(live_kernel::family_looked_up<model_kernel>({AF_INET6, SOCK_STREAM | 0x10, 0}) == -1);
static_assert(live_kernel::family_looked_up<model_kernel>({AF_INET6, 11, 0}) == -1);
static_assert(live_kernel::family_looked_up<model_kernel>({AF_MAX, SOCK_STREAM, 0}) == -1);

}  // namespace

TEST_CASE("the constexpr verdict and the runtime path agree on every grid input")
{
    // cred{} stands in for cred::root() in the static_asserts above.
    {
        const sockmodel::cred r = sockmodel::cred::root();
        const sockmodel::cred a{};
        CHECK((r.uid == a.uid && r.euid == a.euid && r.suid == a.suid && r.fsuid == a.fsuid && r.gid == a.gid &&
               r.egid == a.egid && r.sgid == a.sgid && r.fsgid == a.fsgid && r.group_info == a.group_info &&
               r.cap_effective == a.cap_effective));
        const sockmodel::cred u = sockmodel::cred::user(65534, 65534);
        const sockmodel::cred cu = constexpr_user();
        CHECK((u.uid == cu.uid && u.euid == cu.euid && u.suid == cu.suid && u.fsuid == cu.fsuid &&
               u.gid == cu.gid && u.egid == cu.egid && u.sgid == cu.sgid && u.fsgid == cu.fsgid &&
               u.group_info == cu.group_info && u.cap_effective == cu.cap_effective));
    }

    const std::vector<lk::socket_input> inputs = lk::socket_grid();
    struct cred_case {
        const char* name;
        sockmodel::cred cred;
    };
    const cred_case creds[] = {
        {"root", sockmodel::cred::root()},
        {"user", sockmodel::cred::user(65534, 65534)},
        {"user+group 150", sockmodel::cred::user(65534, 65534).with_groups({150})},
    };
    struct sysctl_case {
        const char* name;
        sockmodel::net_sysctl sysctl;
    };
    const sysctl_case sysctls[] = {
        {"default", sysctl_default},
        {"ping 100-200", sysctl_ping_100_200},
        {"ping 0-2147483647", sockmodel::net_sysctl{{0, 2147483647}}},
        {"mptcp off", sysctl_no_mptcp},
    };

    const auto start = clock_type::now();
    model_kernel k;
    std::vector<sockmodel::task_struct*> tasks;
    for (const auto& c : creds)
        tasks.push_back(&k.spawn(c.cred));

    std::size_t checked = 0, successes = 0, mismatches = 0;
    std::vector<std::string> first;
    const auto mismatch = [&](const std::string& what) {
        ++mismatches;
        if (first.size() < 30)
            first.push_back(what);
    };

    for (const auto& sc : sysctls) {
        k.init_net.sysctl = sc.sysctl;
        for (std::size_t ci = 0; ci < std::size(creds); ++ci) {
            sockmodel::task_struct& t = *tasks[ci];
            const std::string ctx = std::string(sc.name) + ", " + creds[ci].name + ": ";
            for (const auto& in : inputs) {
                ++checked;
                const sockmodel::socket_verdict v =
                    sockmodel::socket_verdict_for<model_kernel>(sc.sysctl, creds[ci].cred, in.family, in.type,
                                                                in.protocol);
                const int fd = k.socket(t, in.family, in.type, in.protocol);
                if (fd < 0) {
                    if (v.err != fd)
                        mismatch(ctx + lk::describe(in) + ": verdict " + lk::ret_name(v.err) + " (" +
                                 std::string(v.where) + "), runtime " + lk::ret_name(fd));
                    continue;
                }
                ++successes;
                const sockmodel::file* f = t.files->lookup(fd);
                const auto* sock = f ? static_cast<const sockmodel::socket*>(f->private_data) : nullptr;
                const int so_domain = lk::model_getsockopt_int(k, t, fd, SO_DOMAIN);
                const int so_type = lk::model_getsockopt_int(k, t, fd, SO_TYPE);
                const int so_protocol = lk::model_getsockopt_int(k, t, fd, SO_PROTOCOL);
                const int getfl = k.fcntl(t, fd, F_GETFL);
                const int getfd = k.fcntl(t, fd, F_GETFD);
                const bool same = v.err == 0 && so_domain == v.family && so_type == v.type &&
                                  so_protocol == v.protocol && getfl == v.f_flags &&
                                  getfd == (v.cloexec ? FD_CLOEXEC : 0) && sock && sock->ops == v.ops &&
                                  sock->sk && sock->sk->sk_prot == v.prot;
                if (!same)
                    mismatch(ctx + lk::describe(in) + ": verdict " + lk::ret_name(v.err) + " family " +
                             std::to_string(v.family) + " type " + std::to_string(v.type) + " protocol " +
                             std::to_string(v.protocol) + " f_flags " + lk::hex(v.f_flags) + " cloexec " +
                             std::to_string(v.cloexec) + "; runtime fd " + std::to_string(fd) + " SO_DOMAIN " +
                             std::to_string(so_domain) + " SO_TYPE " + std::to_string(so_type) + " SO_PROTOCOL " +
                             std::to_string(so_protocol) + " F_GETFL " + lk::hex(getfl) + " F_GETFD " +
                             std::to_string(getfd));
                CHECK(k.close(t, fd) == 0);
            }
        }
    }

    MESSAGE(checked << " (input, cred, sysctl) triples, " << successes << " sockets created, " << mismatches
                    << " mismatches, " << ms_since(start) << " ms");
    if (!first.empty()) {
        std::string lines;
        for (const auto& l : first)
            lines += "\n  " + l;
        MESSAGE("first mismatches:" << lines);
    }
    CHECK(mismatches == 0);
    CHECK(checked >= 20000);

    for (sockmodel::task_struct* t : tasks)
        k.exit(*t);
    CHECK(k.counters() == sockmodel::kernel_counters{});
    CHECK(model_kernel{}.counters() == sockmodel::kernel_counters{});
}
