// Differential conformance of the descriptor side: lowest-fd reuse, RLIMIT_NOFILE
// and EMFILE, EMFILE against create-time errors, close of bad fds, dup. Each
// scenario runs once on the live kernel in a forked child (its rlimits stay
// there) and once on a model task that starts from the child's descriptor
// table and rlimit; every labelled observation must agree.
#include "live_kernel.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <string>
#include <vector>

namespace {

namespace lk = live_kernel;
using model_kernel = sockmodel::kernel<>;

// Runs the scenario both ways, checks agreement and that the model kernel's
// counters return to a fresh kernel's; returns the live observations for the
// scenario's own expectations.
template <class Scenario>
std::vector<lk::observation> differential(lk::identity who, Scenario scenario)
{
    const auto start = std::chrono::steady_clock::now();
    const lk::scenario_run live = lk::run_scenario_live(who, scenario);

    model_kernel k;
    k.init_net.sysctl = lk::host_net_sysctl();
    sockmodel::task_struct& t = k.spawn(lk::model_cred(who));
    const std::vector<lk::observation> model = lk::run_scenario_model(k, t, live.snapshot, scenario);

    const std::vector<std::string> diffs = lk::diff_observations(live.observations, model);
    std::string fds;
    for (int fd : live.snapshot.open_fds)
        fds.append(" ").append(std::to_string(fd));  // not " " + ...: GCC 12 -O3 -Wrestrict
    MESSAGE(std::string(who == lk::identity::nobody ? "nobody" : "root") << ": " << live.observations.size()
            << " observations, child started with fds {" << fds << " }, RLIMIT_NOFILE " << live.snapshot.nofile_cur
            << ", " << std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()
            << " ms");
    if (!diffs.empty()) {
        std::string lines;
        for (std::size_t i = 0; i < diffs.size() && i < 30; ++i)
            lines += "\n  " + diffs[i];
        MESSAGE(diffs.size() << " disagreements:" << lines);
    }
    CHECK(diffs.empty());

    k.exit(t);
    CHECK(k.counters() == sockmodel::kernel_counters{});
    return live.observations;
}

long at(const std::vector<lk::observation>& obs, std::string_view label) { return lk::observed(obs, label); }

// The lowest fd above `fd` that is not open (F_GETFD answers EBADF), asked of
// the side the scenario runs on; the process may hold fds of its own anywhere.
template <class Sys>
int lowest_free_above(Sys& sys, int fd)
{
    int x = fd + 1;
    while (sys.fcntl(x, F_GETFD) != -EBADF)
        ++x;
    return x;
}

}  // namespace

TEST_CASE("differential: socket() takes the lowest free fd, holes first")
{
    if (!lk::root_or_skip("the scenarios run as root and as nobody"))
        return;
    const auto scenario = [](auto& sys) {
        int fds[8];
        for (int i = 0; i < 8; ++i)
            fds[i] = sys.note("open " + std::to_string(i),
                              i % 2 ? sys.socket(AF_INET, SOCK_DGRAM, 0) : sys.socket(AF_UNIX, SOCK_STREAM, 0));
        const int after_top = sys.note("lowest free above fds[7]", lowest_free_above(sys, fds[7]));
        sys.note("close fds[5]", sys.close(fds[5]));
        sys.note("close fds[2]", sys.close(fds[2]));
        const int a = sys.note("first after holes", sys.socket(AF_INET, SOCK_STREAM, 0));
        const int b = sys.note("second after holes", sys.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        const int c = sys.note("third after holes", sys.socket(AF_UNIX, SOCK_SEQPACKET, 0));
        sys.note("first == fds[2]", a == fds[2]);
        sys.note("second == fds[5]", b == fds[5]);
        sys.note("third == lowest free above fds[7]", c == after_top);
        // A socket() that fails does not use up an fd.
        const int after_c = sys.note("lowest free above c", lowest_free_above(sys, c));
        sys.note("failed socket", sys.socket(AF_INET, SOCK_STREAM, 99));
        const int d = sys.note("after failure", sys.socket(AF_INET, SOCK_DGRAM, 0));
        sys.note("after failure takes it", d == after_c);
        for (int i = 0; i < 8; ++i)
            if (i != 2 && i != 5)
                sys.note("close " + std::to_string(i), sys.close(fds[i]));
        for (int fd : {a, b, c, d})
            sys.note("close", sys.close(fd));
    };
    for (const auto who : {lk::identity::inherit, lk::identity::nobody}) {
        const std::string who_name = who == lk::identity::nobody ? "nobody" : "root";
        CAPTURE(who_name);
        const auto obs = differential(who, scenario);
        CHECK(at(obs, "first == fds[2]") == 1);
        CHECK(at(obs, "second == fds[5]") == 1);
        CHECK(at(obs, "third == lowest free above fds[7]") == 1);
        CHECK(at(obs, "after failure takes it") == 1);
    }
}

TEST_CASE("differential: RLIMIT_NOFILE gives EMFILE at the same fd on both")
{
    if (!lk::root_or_skip("the scenarios run as root and as nobody"))
        return;
    const auto scenario = [](auto& sys) {
        const int n = sys.note("open count", sys.open_count());
        sys.note("setrlimit(open count + 3)", sys.set_nofile(static_cast<unsigned long>(n) + 3));
        sys.note("RLIMIT_NOFILE", static_cast<long>(sys.nofile()));
        std::vector<int> got;
        for (int i = 0; i < 64; ++i) {
            const int fd = sys.note("open #" + std::to_string(i), sys.socket(AF_UNIX, SOCK_STREAM, 0));
            if (fd < 0)
                break;
            got.push_back(fd);
        }
        sys.note("opened before EMFILE", static_cast<int>(got.size()));
        if (got.empty())
            return;
        sys.note("dup at the limit", sys.dup(got.front()));
        sys.note("TCP at the limit", sys.socket(AF_INET, SOCK_STREAM, 0));
        sys.note("close last", sys.close(got.back()));
        sys.note("reopen takes it", sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
        sys.note("and the next fails", sys.socket(AF_INET, SOCK_DGRAM, 0));
        // One more slot: usable only if the process does not already hold that fd.
        const unsigned long old_limit = sys.nofile();
        sys.note("old limit", static_cast<long>(old_limit));
        sys.note("fd at old limit is free", sys.fcntl(static_cast<int>(old_limit), F_GETFD) == -EBADF);
        sys.note("raise limit by one", sys.set_nofile(old_limit + 1));
        const int more = sys.note("one more after raising", sys.socket(AF_UNIX, SOCK_DGRAM, 0));
        sys.note("then EMFILE again", sys.socket(AF_UNIX, SOCK_DGRAM, 0));
        for (int fd : got)
            sys.note("close", sys.close(fd));
        if (more >= 0)
            sys.note("close", sys.close(more));
    };
    for (const auto who : {lk::identity::inherit, lk::identity::nobody}) {
        const std::string who_name = who == lk::identity::nobody ? "nobody" : "root";
        CAPTURE(who_name);
        const auto obs = differential(who, scenario);
        const long opened = at(obs, "opened before EMFILE");
        CHECK(opened >= 1);
        CHECK(at(obs, "open #" + std::to_string(opened)) == -EMFILE);
        CHECK(at(obs, "dup at the limit") == -EMFILE);
        CHECK(at(obs, "TCP at the limit") == -EMFILE);
        CHECK(at(obs, "reopen takes it") >= 0);
        CHECK(at(obs, "and the next fails") == -EMFILE);
        if (at(obs, "fd at old limit is free"))
            CHECK(at(obs, "one more after raising") == at(obs, "old limit"));
        else
            CHECK(at(obs, "one more after raising") == -EMFILE);
        CHECK(at(obs, "then EMFILE again") == -EMFILE);
    }
}

TEST_CASE("differential: with no fd left, every create-time error still wins over EMFILE")
{
    if (!lk::root_or_skip("the scenarios run as root and as nobody"))
        return;
    const auto scenario = [](auto& sys) {
        sys.note("setrlimit", sys.set_nofile(static_cast<unsigned long>(sys.open_count()) + 3));
        std::vector<int> got;
        for (int i = 0; i < 64; ++i) {
            const int fd = sys.socket(AF_UNIX, SOCK_STREAM, 0);
            if (fd < 0) {
                sys.note("exhausted with", fd);
                break;
            }
            got.push_back(sys.note("open", fd));
        }
        sys.note("AF_INET SOCK_STREAM 99", sys.socket(AF_INET, SOCK_STREAM, 99));
        sys.note("AF_INET SOCK_DGRAM ICMP", sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
        sys.note("AF_INET SOCK_RAW 1", sys.socket(AF_INET, SOCK_RAW, 1));
        sys.note("999 SOCK_STREAM 0", sys.socket(999, SOCK_STREAM, 0));
        sys.note("AF_INET STREAM|0x10 0", sys.socket(AF_INET, SOCK_STREAM | 0x10, 0));
        sys.note("AF_INET 0 0", sys.socket(AF_INET, 0, 0));
        sys.note("AF_INET SOCK_STREAM IPPROTO_MAX", sys.socket(AF_INET, SOCK_STREAM, IPPROTO_MAX));
        sys.note("AF_UNIX SOCK_STREAM 2", sys.socket(AF_UNIX, SOCK_STREAM, 2));
        sys.note("AF_UNIX SOCK_RDM 0", sys.socket(AF_UNIX, SOCK_RDM, 0));
        sys.note("AF_INET SOCK_DGRAM TCP", sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
        sys.note("AF_INET SOCK_RAW 0", sys.socket(AF_INET, SOCK_RAW, 0));
        sys.note("AF_INET SOCK_STREAM -1", sys.socket(AF_INET, SOCK_STREAM, -1));
        sys.note("AF_INET 11 0", sys.socket(AF_INET, 11, 0));
        sys.note("AF_INET SOCK_STREAM 0", sys.socket(AF_INET, SOCK_STREAM, 0));
        sys.note("AF_INET SOCK_STREAM|SOCK_CLOEXEC MPTCP", sys.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 262));
        sys.note("AF_UNIX SOCK_RAW 0", sys.socket(AF_UNIX, SOCK_RAW, 0));
        for (int fd : got)
            sys.note("close", sys.close(fd));
    };

    SUBCASE("as nobody")
    {
        const auto obs = differential(lk::identity::nobody, scenario);
        CHECK(at(obs, "exhausted with") == -EMFILE);
        CHECK(at(obs, "AF_INET SOCK_STREAM 99") == -EPROTONOSUPPORT);
        CHECK(at(obs, "AF_INET SOCK_DGRAM ICMP") == -EACCES);  // ping_group_range "1 0"
        CHECK(at(obs, "AF_INET SOCK_RAW 1") == -EPERM);
        CHECK(at(obs, "999 SOCK_STREAM 0") == -EAFNOSUPPORT);
        CHECK(at(obs, "AF_INET STREAM|0x10 0") == -EINVAL);
        CHECK(at(obs, "AF_INET 0 0") == -ESOCKTNOSUPPORT);
        CHECK(at(obs, "AF_INET SOCK_STREAM IPPROTO_MAX") == -EINVAL);
        CHECK(at(obs, "AF_UNIX SOCK_STREAM 2") == -EPROTONOSUPPORT);
        CHECK(at(obs, "AF_UNIX SOCK_RDM 0") == -ESOCKTNOSUPPORT);
        CHECK(at(obs, "AF_INET 11 0") == -EINVAL);
        CHECK(at(obs, "AF_INET SOCK_DGRAM TCP") == -EPROTONOSUPPORT);
        CHECK(at(obs, "AF_INET SOCK_RAW 0") == -EPROTONOSUPPORT);
        CHECK(at(obs, "AF_INET SOCK_STREAM -1") == -EINVAL);
        CHECK(at(obs, "AF_INET SOCK_STREAM 0") == -EMFILE);
        CHECK(at(obs, "AF_INET SOCK_STREAM|SOCK_CLOEXEC MPTCP") == -EMFILE);
        CHECK(at(obs, "AF_UNIX SOCK_RAW 0") == -EMFILE);
    }
    SUBCASE("as root: SOCK_RAW is created, then loses its fd")
    {
        const auto obs = differential(lk::identity::inherit, scenario);
        CHECK(at(obs, "exhausted with") == -EMFILE);
        CHECK(at(obs, "AF_INET SOCK_STREAM 99") == -EPROTONOSUPPORT);
        CHECK(at(obs, "AF_INET SOCK_DGRAM ICMP") == -EACCES);  // no capability overrides ping_group_range
        CHECK(at(obs, "AF_INET SOCK_RAW 1") == -EMFILE);
        CHECK(at(obs, "999 SOCK_STREAM 0") == -EAFNOSUPPORT);
        CHECK(at(obs, "AF_INET STREAM|0x10 0") == -EINVAL);
        CHECK(at(obs, "AF_INET 0 0") == -ESOCKTNOSUPPORT);
        CHECK(at(obs, "AF_INET SOCK_STREAM 0") == -EMFILE);
    }
}

TEST_CASE("differential: close() of a bad fd is EBADF")
{
    if (!lk::root_or_skip("the scenarios run as root and as nobody"))
        return;
    const auto scenario = [](auto& sys) {
        const int limit = static_cast<int>(std::min(512UL, sys.nofile_max()));
        sys.note("limit", limit);
        sys.note("setrlimit", sys.set_nofile(static_cast<unsigned long>(limit)));
        // The highest fd below the limit that is not open: never opened by the scenario.
        int never = limit - 1;
        while (never > 0 && sys.fcntl(never, F_GETFD) != -EBADF)
            --never;
        sys.note("never-open fd", never);
        sys.note("F_GETFD never-open", sys.fcntl(never, F_GETFD));
        sys.note("close never-open", sys.close(never));
        sys.note("close -1", sys.close(-1));
        sys.note("close INT_MIN", sys.close(INT_MIN));
        const int s = sys.note("open", sys.socket(AF_INET, SOCK_STREAM, 0));
        sys.note("close open", sys.close(s));
        sys.note("close already-closed", sys.close(s));
        sys.note("F_GETFD already-closed", sys.fcntl(s, F_GETFD));
        sys.note("getsockopt already-closed", sys.getsockopt(s, SO_TYPE));
        // Fds at or above the limit that are not open (the process may hold some there).
        int above = limit;
        while (sys.fcntl(above, F_GETFD) != -EBADF)
            ++above;
        sys.note("first closed fd >= rlimit", above);
        sys.note("close fd >= rlimit", sys.close(above));
        sys.note("close 1<<20 (== nr_open)", sys.close(1 << 20));
        sys.note("close INT_MAX", sys.close(INT_MAX));
        sys.note("dup -1", sys.dup(-1));
        sys.note("dup already-closed", sys.dup(s));
        sys.note("F_GETFL -1", sys.fcntl(-1, F_GETFL));
        // An fd that is open above a lowered limit still closes.
        const int high = sys.note("open high", sys.socket(AF_UNIX, SOCK_DGRAM, 0));
        sys.note("lower limit below it", sys.set_nofile(static_cast<unsigned long>(high)));
        sys.note("F_GETFD above limit", sys.fcntl(high, F_GETFD));
        sys.note("close above limit", sys.close(high));
        sys.note("close above limit again", sys.close(high));
    };
    for (const auto who : {lk::identity::inherit, lk::identity::nobody}) {
        const std::string who_name = who == lk::identity::nobody ? "nobody" : "root";
        CAPTURE(who_name);
        const auto obs = differential(who, scenario);
        CHECK(at(obs, "close never-open") == -EBADF);
        CHECK(at(obs, "close -1") == -EBADF);
        CHECK(at(obs, "close INT_MIN") == -EBADF);
        CHECK(at(obs, "close open") == 0);
        CHECK(at(obs, "close already-closed") == -EBADF);
        CHECK(at(obs, "setrlimit") == 0);
        CHECK(at(obs, "close fd >= rlimit") == -EBADF);
        CHECK(at(obs, "close 1<<20 (== nr_open)") == -EBADF);
        CHECK(at(obs, "close INT_MAX") == -EBADF);
        CHECK(at(obs, "close above limit") == 0);
        CHECK(at(obs, "close above limit again") == -EBADF);
    }
}

TEST_CASE("differential: dup() takes the lowest free fd and never FD_CLOEXEC")
{
    if (!lk::root_or_skip("the scenarios run as root and as nobody"))
        return;
    const auto scenario = [](auto& sys) {
        const int a = sys.note("a = UNIX STREAM|CLOEXEC", sys.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        const int b = sys.note("b = INET DGRAM|NONBLOCK", sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
        const int c = sys.note("c = INET STREAM", sys.socket(AF_INET, SOCK_STREAM, 0));
        sys.note("close b", sys.close(b));
        const int d = sys.note("d = dup(a)", sys.dup(a));
        sys.note("d == b", d == b);
        sys.note("F_GETFD a", sys.fcntl(a, F_GETFD));
        sys.note("F_GETFD d", sys.fcntl(d, F_GETFD));
        sys.note("F_GETFL a", sys.fcntl(a, F_GETFL));
        sys.note("F_GETFL d", sys.fcntl(d, F_GETFL));
        sys.note("close a", sys.close(a));
        sys.note("SO_TYPE d", sys.getsockopt(d, SO_TYPE));
        sys.note("SO_DOMAIN d", sys.getsockopt(d, SO_DOMAIN));
        sys.note("SO_PROTOCOL d", sys.getsockopt(d, SO_PROTOCOL));
        sys.note("SO_TYPE a (closed)", sys.getsockopt(a, SO_TYPE));
        sys.note("dup(a) (closed)", sys.dup(a));
        const int e = sys.note("e = dup(d)", sys.dup(d));
        sys.note("e == a", e == a);
        // A non-blocking, close-on-exec UDP socket: the dup shares O_NONBLOCK, not FD_CLOEXEC.
        const int f = sys.note("f = INET DGRAM|NONBLOCK|CLOEXEC",
                               sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        const int after_f = sys.note("lowest free above f", lowest_free_above(sys, f));
        const int g = sys.note("g = dup(f)", sys.dup(f));
        sys.note("g takes it", g == after_f);
        sys.note("F_GETFD f", sys.fcntl(f, F_GETFD));
        sys.note("F_GETFD g", sys.fcntl(g, F_GETFD));
        sys.note("F_GETFL g", sys.fcntl(g, F_GETFL));
        sys.note("close f", sys.close(f));
        sys.note("SO_PROTOCOL g", sys.getsockopt(g, SO_PROTOCOL));
        sys.note("SO_TYPE g", sys.getsockopt(g, SO_TYPE));
        // dup of a dup of a TCP socket, the original closed first.
        const int h = sys.note("h = dup(c)", sys.dup(c));
        const int i = sys.note("i = dup(h)", sys.dup(h));
        sys.note("close c", sys.close(c));
        sys.note("close h", sys.close(h));
        sys.note("SO_PROTOCOL i", sys.getsockopt(i, SO_PROTOCOL));
        sys.note("next socket takes c's fd", sys.socket(AF_UNIX, SOCK_DGRAM, 0) == c);
        for (int fd : {d, e, g, i, c})
            sys.note("close", sys.close(fd));
    };
    for (const auto who : {lk::identity::inherit, lk::identity::nobody}) {
        const std::string who_name = who == lk::identity::nobody ? "nobody" : "root";
        CAPTURE(who_name);
        const auto obs = differential(who, scenario);
        CHECK(at(obs, "d == b") == 1);
        CHECK(at(obs, "F_GETFD a") == FD_CLOEXEC);
        CHECK(at(obs, "F_GETFD d") == 0);
        CHECK(at(obs, "SO_TYPE d") == SOCK_STREAM);
        CHECK(at(obs, "SO_DOMAIN d") == AF_UNIX);
        CHECK(at(obs, "SO_TYPE a (closed)") == -EBADF);
        CHECK(at(obs, "e == a") == 1);
        CHECK(at(obs, "F_GETFD f") == FD_CLOEXEC);
        CHECK(at(obs, "g takes it") == 1);
        CHECK(at(obs, "F_GETFD g") == 0);
        CHECK((at(obs, "F_GETFL g") & O_NONBLOCK) != 0);
        CHECK(at(obs, "SO_PROTOCOL g") == IPPROTO_UDP);
        CHECK(at(obs, "SO_PROTOCOL i") == IPPROTO_TCP);
        CHECK(at(obs, "next socket takes c's fd") == 1);
    }
}
