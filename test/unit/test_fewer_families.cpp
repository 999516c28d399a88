// Which families exist is a configuration: a kernel built without IPv6 is the
// default kernel with inet6_family left out of its family list, in one line.
// Over the whole differential input grid, for root and for nobody, it answers
// exactly as the default kernel does, except where socket() would look up
// AF_INET6 in net_families[]: there, and only there, -EAFNOSUPPORT. The same
// holds for the constexpr verdict. No root needed (the grid is only inputs).
#include "live_kernel.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace {

namespace lk = live_kernel;

using no_ipv6 = sockmodel::config<sockmodel::opt::families<sockmodel::netlink_family, sockmodel::inet_family, sockmodel::unix_family, sockmodel::xsk_family, sockmodel::packet_family, sockmodel::vsock_family>>;

using full_kernel = sockmodel::kernel<>;
using v4_kernel = sockmodel::kernel<no_ipv6>;

static_assert(lk::model_registers<full_kernel>(sockmodel::af_inet6));
static_assert(!lk::model_registers<v4_kernel>(sockmodel::af_inet6));
static_assert(lk::model_registers<v4_kernel>(sockmodel::af_inet) && lk::model_registers<v4_kernel>(sockmodel::af_unix) &&
              lk::model_registers<v4_kernel>(sockmodel::af_netlink) &&
              lk::model_registers<v4_kernel>(sockmodel::af_packet) &&
              lk::model_registers<v4_kernel>(sockmodel::af_vsock) && lk::model_registers<v4_kernel>(sockmodel::af_xdp));

// As constants: TCPv6 is gone, TCP is not.
constexpr sockmodel::net_sysctl boot{};
static_assert(sockmodel::socket_verdict_for<full_kernel>(boot, sockmodel::cred::root(), sockmodel::af_inet6,
                                                         full_kernel::abi::sock_stream, 0)
                  .err == 0);
static_assert(sockmodel::socket_verdict_for<v4_kernel>(boot, sockmodel::cred::root(), sockmodel::af_inet6,
                                                       v4_kernel::abi::sock_stream, 0)
                  .err == -EAFNOSUPPORT);
static_assert(sockmodel::socket_verdict_for<v4_kernel>(boot, sockmodel::cred::root(), sockmodel::af_inet,
                                                       v4_kernel::abi::sock_stream, 0)
                  .protocol == 6);

// The same answer: the same fields, and the same proto_ops and proto by name
// (AF_UNIX's tables are instantiated per kernel type, so not by address).
bool same_verdict(const sockmodel::socket_verdict& a, const sockmodel::socket_verdict& b)
{
    const auto same_name = [](const auto* x, const auto* y) { return x == y || (x && y && x->name == y->name); };
    return a.err == b.err && a.where == b.where && a.family == b.family && a.type == b.type &&
           a.protocol == b.protocol && same_name(a.ops, b.ops) && same_name(a.prot, b.prot) &&
           a.f_flags == b.f_flags && a.cloexec == b.cloexec;
}

std::string describe(const sockmodel::socket_verdict& v)
{
    if (v.err)
        return lk::ret_name(v.err) + " (" + std::string(v.where) + ")";
    return "ok family " + std::to_string(v.family) + " type " + std::to_string(v.type) + " protocol " +
           std::to_string(v.protocol) + " f_flags " + lk::hex(v.f_flags) + " cloexec " + std::to_string(v.cloexec);
}

}  // namespace

TEST_CASE("which families exist is a configuration: without IPv6, AF_INET6 lookups and only those give EAFNOSUPPORT")
{
    const std::vector<lk::socket_input> inputs = lk::socket_grid();
    REQUIRE(inputs.size() >= 20000);
    struct cred_case {
        const char* name;
        sockmodel::cred cred;
    };
    const cred_case creds[] = {
        {"root", sockmodel::cred::root()},
        {"nobody", sockmodel::cred::user()},
    };

    full_kernel full;
    v4_kernel v4;
    const sockmodel::net_sysctl sysctl = full.init_net.sysctl;
    v4.init_net.sysctl = sysctl;  // the same (default) sysctls on both

    for (const cred_case& c : creds) {
        const std::string who = c.name;
        CAPTURE(who);
        sockmodel::task_struct& tf = full.spawn(c.cred);
        sockmodel::task_struct& tv = v4.spawn(c.cred);

        std::size_t inet6 = 0, changed = 0, inet6_already = 0, equal = 0, mismatches = 0;
        std::size_t verdict_changed = 0, verdict_equal = 0, verdict_mismatches = 0;
        std::vector<std::string> first;
        const auto mismatch = [&](const std::string& what) {
            if (first.size() < 30)
                first.push_back(what);
        };

        for (const lk::socket_input& in : inputs) {
            const int looked_up_full = lk::family_looked_up<full_kernel>(in);
            const int looked_up = lk::family_looked_up<v4_kernel>(in);
            if (looked_up != looked_up_full) {
                ++mismatches;
                mismatch(lk::describe(in) + ": the two kernels look up different families");
                continue;
            }
            const bool is_inet6 = looked_up == sockmodel::af_inet6;

            // The run-time path, observed as the differential tests observe it.
            const lk::socket_outcome f = lk::model_probe(full, tf, in);
            const lk::socket_outcome v = lk::model_probe(v4, tv, in);
            if (is_inet6) {
                ++inet6;
                if (f.ret == -EAFNOSUPPORT)
                    ++inet6_already;
                else
                    ++changed;
                if (!(v == lk::socket_outcome{-EAFNOSUPPORT})) {
                    ++mismatches;
                    mismatch(lk::describe(in) + ": without IPv6 " + lk::describe(v) + ", want -EAFNOSUPPORT");
                }
            } else if (v == f) {
                ++equal;
            } else {
                ++mismatches;
                mismatch(lk::describe(in) + ": without IPv6 " + lk::describe(v) + ", default " + lk::describe(f));
            }

            // The constexpr verdict.
            const sockmodel::socket_verdict vf =
                sockmodel::socket_verdict_for<full_kernel>(sysctl, c.cred, in.family, in.type, in.protocol);
            const sockmodel::socket_verdict vv =
                sockmodel::socket_verdict_for<v4_kernel>(sysctl, c.cred, in.family, in.type, in.protocol);
            if (is_inet6) {
                if (vf.err != -EAFNOSUPPORT)
                    ++verdict_changed;
                if (vv.err != -EAFNOSUPPORT || vv.where != "__sock_create") {
                    ++verdict_mismatches;
                    mismatch(lk::describe(in) + ": verdict without IPv6 " + describe(vv) +
                             ", want -EAFNOSUPPORT (__sock_create)");
                }
            } else if (same_verdict(vv, vf)) {
                ++verdict_equal;
            } else {
                ++verdict_mismatches;
                mismatch(lk::describe(in) + ": verdict without IPv6 " + describe(vv) + ", default " + describe(vf));
            }
        }

        MESSAGE(who << ": " << inputs.size() << " inputs; " << inet6 << " look up AF_INET6: " << changed
                       << " changed to EAFNOSUPPORT, " << inet6_already << " were EAFNOSUPPORT already; " << equal
                       << " equal; " << mismatches << " mismatches");
        MESSAGE(who << ": constexpr verdict: " << verdict_changed << " changed to EAFNOSUPPORT, " << verdict_equal
                       << " equal; " << verdict_mismatches << " mismatches");
        if (!first.empty()) {
            std::string lines;
            for (const auto& l : first)
                lines += "\n  " + l;
            MESSAGE("first mismatches:" << lines);
        }
        CHECK(mismatches == 0);
        CHECK(verdict_mismatches == 0);
        CHECK(inet6 + equal == inputs.size());
        CHECK(verdict_equal + inet6 == inputs.size());
        CHECK(changed > 0);           // IPv6 really was there to take away
        CHECK(verdict_changed == changed);
    }

    full.exit_all();
    v4.exit_all();
    CHECK(full.counters() == sockmodel::kernel_counters{});
    CHECK(v4.counters() == sockmodel::kernel_counters{});
}
