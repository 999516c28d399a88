// Differential conformance: the model's socket() against the live kernel's,
// over a grid of (family, type, protocol), as root, as an unprivileged user,
// and as an unprivileged user in a fresh user namespace, for every family.
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
    std::map<int, std::size_t> compared_by_family;  // by the family looked up; -1: none (an earlier check)
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
    lk::model_enter_identity(k, t, who);
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
        ++c.compared_by_family[looked_up];
        if (model_says == kernel_says)
            continue;
        ++c.mismatches;
        if (c.first_mismatches.size() < 30)
            c.first_mismatches.push_back(std::string(name) + ": " + lk::describe(in) +
                                         "\n      model:  " + lk::describe(model_says) +
                                         "\n      kernel: " + lk::describe(kernel_says));
    }

    // Everything the model opened, the mirrored table included, goes away with the task.
    k.exit_all();
    CHECK(k.counters() == sockmodel::kernel_counters{});
    return c;
}

std::string by_family_text(const std::map<int, std::size_t>& m)
{
    std::ostringstream s;
    for (const auto& [family, n] : m) {
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
        fds.append(" ").append(std::to_string(fd));  // not " " + ...: GCC 12 -O3 -Wrestrict
    MESSAGE(std::string(name) << ": the live process started with fds {" << fds << " }, RLIMIT_NOFILE "
                              << live.snapshot.nofile_cur);
    MESSAGE(std::string(name) << ": " << c.compared << " compared, " << c.skipped << " skipped (family not in the model), "
                 << c.mismatches << " mismatches; live " << live_ms << " ms, model " << model_ms << " ms"
                 << "\nrows compared by the family socket() looks up (-1: decided before the lookup):"
                 << by_family_text(c.compared_by_family));
    if (c.skipped)
        MESSAGE(std::string(name) << ": skips by family:" << by_family_text(c.skips_by_family));
    CHECK(c.skipped == 0);  // every family the host has is in the model
    if (!c.first_mismatches.empty()) {
        std::string lines;
        for (const auto& l : c.first_mismatches)
            lines += "\n  " + l;
        MESSAGE(std::string(name) << ": first " << c.first_mismatches.size() << " mismatches:" << lines);
    }
    CHECK(c.mismatches == 0);
}

}  // namespace

TEST_CASE("socket() agrees with the live kernel over the grid, as root, as nobody and as nobody in a user namespace")
{
    if (!lk::root_or_skip("the grid compares root and nobody, and nobody is made by dropping root"))
        return;
    struct utsname u {};
    ::uname(&u);
    const sockmodel::net_sysctl host = lk::host_net_sysctl();
    MESSAGE("live kernel " << u.release << ", ping_group_range " << host.ping_group_range.low << " "
                           << host.ping_group_range.high << ", mptcp.enabled " << host.mptcp_enabled);

    const std::vector<lk::socket_input> inputs = lk::socket_grid();
    MESSAGE("grid: " << lk::grid_families().size() << " families x " << lk::grid_types().size() << " types x "
                     << lk::grid_protocols().size() << " protocols = " << inputs.size() << " inputs");
    CHECK(inputs.size() >= 200000);

    const auto run = [&](lk::identity who) {
        auto start = clock_type::now();
        const lk::grid_run live =
            who == lk::identity::inherit ? lk::run_grid_here(inputs) : lk::run_grid_in_child(inputs, who);
        const double live_ms = ms_since(start);
        start = clock_type::now();
        const char* name = lk::identity_name(who);
        const grid_comparison c = compare_grid(name, who, inputs, live);
        report(name, c, live, live_ms, ms_since(start));
    };

    SUBCASE("as root, in this process") { run(lk::identity::inherit); }
    SUBCASE("as nobody, in a forked child without capabilities") { run(lk::identity::nobody); }
    SUBCASE("as nobody in a fresh user namespace (all capabilities there, none over the initial netns)")
    {
        std::string why;
        if (!lk::unprivileged_userns_allowed(&why)) {
            MESSAGE("sockmodel-differential: SKIPPED: this host forbids unprivileged user namespaces: " << why);
            return;
        }
        run(lk::identity::nobody_userns);
    }
}

// The skip rule of the grid is a constant expression too.
namespace {
static_assert(live_kernel::model_registers<model_kernel>(AF_UNIX));
static_assert(live_kernel::model_registers<model_kernel>(AF_INET));
static_assert(live_kernel::model_registers<model_kernel>(AF_INET6));
static_assert(live_kernel::model_registers<model_kernel>(AF_NETLINK) && live_kernel::model_registers<model_kernel>(AF_PACKET));
static_assert(live_kernel::model_registers<model_kernel>(AF_VSOCK) && live_kernel::model_registers<model_kernel>(AF_XDP));
static_assert(!live_kernel::model_registers<model_kernel>(AF_CAN));
static_assert(live_kernel::family_looked_up<model_kernel>({AF_INET, SOCK_PACKET, 0}) == AF_PACKET);
static_assert(live_kernel::family_looked_up<model_kernel>({AF_INET6, SOCK_STREAM | 0x10, 0}) == -1);
static_assert(live_kernel::family_looked_up<model_kernel>({AF_INET6, 11, 0}) == -1);
static_assert(live_kernel::family_looked_up<model_kernel>({AF_MAX, SOCK_STREAM, 0}) == -1);


}  // namespace
