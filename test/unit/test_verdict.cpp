// The constexpr verdict and the model's run-time path agree on every input of
// the differential grid, for several credentials and sysctls: both are derived
// from each family's one decision path (net/family.hpp), so they must.
#include "live_kernel.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
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

constexpr sockmodel::net_sysctl sysctl_default{};
constexpr sockmodel::net_sysctl sysctl_ping_100_200{{100, 200}};
constexpr sockmodel::net_sysctl sysctl_no_mptcp{{1, 0}, false};

}  // namespace

TEST_CASE("the constexpr verdict and the runtime path agree on every grid input")
{
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
