// socket()+close() through the model for every family/type of the default
// configuration, each beside the live kernel's socket()+close() with the same
// arguments; the floor (bench/common.hpp: three free-list pops and pushes and a
// lowest-free set/clear in a two-level bitmap, none of it the model's code);
// the model with tracing compiled off, absent (the calls taken out of the
// source) and on; and the error paths, model beside kernel.
// Every ratio bench/run.sh prints is taken from one run of this binary.
#include "common.hpp"
#include "live.hpp"

#include <sockmodel/sockmodel.hpp>

#include <benchmark/benchmark.h>

#include <cerrno>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

// bench/absent/path_absent.cpp: AF_INET/tcp through the library with its tracing calls taken out.
void path_absent_tcp(benchmark::State& state);

namespace {

bench::live::netns_pair ping_ns;

using traced = sockmodel::config<sockmodel::opt::tracer<sockmodel::trace::recorder>>;
// Fault injection compiled in, nothing armed: what the policy costs when on.
using faulted = sockmodel::config<sockmodel::opt::faults<sockmodel::fault::inject>>;

template <class Config>
void open_ping_range(sockmodel::kernel<Config>& k)
{
    k.init_net.sysctl.ping_group_range.low = 0;
    k.init_net.sysctl.ping_group_range.high = 2147483647;
}

template <class Config>
void model_path(benchmark::State& state, bench::socket_case c)
{
    sockmodel::kernel<Config> k;
    if (c.ping)
        open_ping_range(k);
    auto& t = k.spawn();
    const int probe = k.socket(t, c.family, c.type, c.protocol);
    if (probe < 0) {
        state.SkipWithError(("model socket() = " + std::to_string(probe)).c_str());
        return;
    }
    k.close(t, probe);
    for (auto _ : state) {
        const int fd = k.socket(t, c.family, c.type, c.protocol);
        benchmark::DoNotOptimize(fd);
        k.close(t, fd);
        if constexpr (sockmodel::trace::enabled<typename Config::tracer>)
            k.tracer.clear();
    }
}

void kernel_path(benchmark::State& state, bench::socket_case c)
{
    if (c.ping) {
        if (ping_ns.ping < 0 || ::setns(ping_ns.ping, CLONE_NEWNET) != 0) {
            state.SkipWithError("no network namespace with ping_group_range open (needs root)");
            return;
        }
    }
    const int probe = ::socket(c.family, c.type, c.protocol);
    if (probe < 0) {
        const int e = errno;
        if (c.ping)
            ::setns(ping_ns.orig, CLONE_NEWNET);
        state.SkipWithError(("live socket() failed: " + std::string(std::strerror(e))).c_str());
        return;
    }
    ::close(probe);
    for (auto _ : state) {
        const int fd = ::socket(c.family, c.type, c.protocol);
        benchmark::DoNotOptimize(fd);
        ::close(fd);
    }
    if (c.ping)
        ::setns(ping_ns.orig, CLONE_NEWNET);
}

// The floor with the model's TCP object sizes (socket_alloc, tcp_sock, file).
void floor_path(benchmark::State& state)
{
    bench::floor_path f(sizeof(sockmodel::socket_alloc), sizeof(sockmodel::tcp_sock), sizeof(sockmodel::file));
    for (auto _ : state) {
        void* a = f.inode.pop();
        void* b = f.sk.pop();
        void* c = f.filp.pop();
        const int fd = f.fds.set_lowest();
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
        benchmark::DoNotOptimize(c);
        benchmark::DoNotOptimize(fd);
        f.fds.clear(static_cast<unsigned>(fd));
        f.filp.push(c);
        f.sk.push(b);
        f.inode.push(a);
    }
}

// --- error paths ------------------------------------------------------------
struct error_case {
    const char* name;
    int family, type, protocol;
    int expect;  // -errno, the live kernel's answer (checked by the kernel benchmark)
    enum { plain, no_cap_net_raw, emfile } how;
};

const error_case error_cases[] = {
    {"bad_flags", AF_INET, SOCK_STREAM | 0x100, 0, -EINVAL, error_case::plain},
    {"family_out_of_range", 46 /* AF_MAX */, SOCK_STREAM, 0, -EAFNOSUPPORT, error_case::plain},
    {"unregistered_family", 29 /* AF_CAN: not in this kernel */, SOCK_RAW, 1, -EAFNOSUPPORT, error_case::plain},
    {"eprotonosupport", AF_INET, SOCK_STREAM, IPPROTO_UDP, -EPROTONOSUPPORT, error_case::plain},
    {"no_cap_net_raw", AF_INET, SOCK_RAW, IPPROTO_ICMP, -EPERM, error_case::no_cap_net_raw},
    {"emfile_after_build", AF_INET, SOCK_STREAM, 0, -EMFILE, error_case::emfile},
};

void model_error(benchmark::State& state, error_case e)
{
    sockmodel::kernel<> k;
    auto& t = k.spawn(e.how == error_case::no_cap_net_raw ? sockmodel::cred::user() : sockmodel::cred::root());
    if (e.how == error_case::emfile) {
        for (int i = 0; i < 3; ++i)
            k.socket(t, AF_UNIX, SOCK_STREAM, 0);  // fds 0-2, then RLIMIT_NOFILE 3
        const sockmodel::resource_limit r{3, 3};
        k.setrlimit(t, RLIMIT_NOFILE, &r);
    }
    const int probe = k.socket(t, e.family, e.type, e.protocol);
    if (probe != e.expect) {
        state.SkipWithError(("model answered " + std::to_string(probe)).c_str());
        return;
    }
    for (auto _ : state) {
        const int r = k.socket(t, e.family, e.type, e.protocol);
        benchmark::DoNotOptimize(r);
    }
}

void kernel_error(benchmark::State& state, error_case e)
{
    rlimit saved{};
    ::getrlimit(RLIMIT_NOFILE, &saved);
    if (e.how == error_case::no_cap_net_raw && !bench::live::set_effective_cap(CAP_NET_RAW, false)) {
        state.SkipWithError("cannot drop CAP_NET_RAW");
        return;
    }
    if (e.how == error_case::emfile) {
        const int lowest = bench::live::lowest_free_fd();  // fds below it are all open
        const rlimit r{static_cast<rlim_t>(lowest), saved.rlim_max};
        ::setrlimit(RLIMIT_NOFILE, &r);
    }
    const int probe = ::socket(e.family, e.type, e.protocol);
    const int answer = probe < 0 ? -errno : probe;
    if (probe >= 0)
        ::close(probe);
    if (answer == e.expect) {
        for (auto _ : state) {
            const int r = ::socket(e.family, e.type, e.protocol);
            benchmark::DoNotOptimize(r);
        }
    }
    if (e.how == error_case::no_cap_net_raw)
        bench::live::set_effective_cap(CAP_NET_RAW, true);
    if (e.how == error_case::emfile)
        ::setrlimit(RLIMIT_NOFILE, &saved);
    if (answer != e.expect)
        state.SkipWithError(("live kernel answered " + std::to_string(answer)).c_str());
}

}  // namespace

int main(int argc, char** argv)
{
    if (::geteuid() == 0)
        ping_ns = bench::live::make_ping_netns();
    benchmark::RegisterBenchmark("floor", floor_path);
    for (const auto& c : bench::socket_cases) {
        const std::string n = std::string("path/") + c.name;
        benchmark::RegisterBenchmark((n + "/model").c_str(), model_path<sockmodel::default_config>, c);
        benchmark::RegisterBenchmark((n + "/kernel").c_str(), kernel_path, c);
    }
    benchmark::RegisterBenchmark("trace/AF_INET/tcp/none", model_path<sockmodel::default_config>,
                                 bench::socket_cases[3]);
    benchmark::RegisterBenchmark("trace/AF_INET/tcp/absent", path_absent_tcp);
    benchmark::RegisterBenchmark("trace/AF_INET/tcp/recorder", model_path<traced>, bench::socket_cases[3]);
    benchmark::RegisterBenchmark("faults/AF_INET/tcp/inject", model_path<faulted>, bench::socket_cases[3]);
    for (const auto& e : error_cases) {
        const std::string n = std::string("error/") + e.name;
        benchmark::RegisterBenchmark((n + "/model").c_str(), model_error, e);
        benchmark::RegisterBenchmark((n + "/kernel").c_str(), kernel_error, e);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
