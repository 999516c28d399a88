// The descriptor table: the lowest free fd taken and given back with N fds
// open, N = 16, 1,024, 16,384, 65,536, 1,048,576, with the only hole at the
// end of the table (fd N-1) and with a hole low in it (the first fd above the
// one being dup()ed, everything above open). Three rows per N:
//   fd/model_dup/<hole>/N      the model's dup()+close() (kernel<>, a task with RLIMIT_NOFILE = nr_open)
//   fd/model_alloc_fd/<hole>/N the model's files_struct::alloc_fd + put_unused_fd alone
//   fd/kernel_dup/<hole>/N     the live kernel's dup()+close(), as far as RLIMIT_NOFILE lets this
//                              process open fds: the hard limit here is 20,000 and root lacks
//                              CAP_SYS_RESOURCE, so N = 65,536 and 1,048,576 are skipped.
#include "live.hpp"

#include <sockmodel/sockmodel.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>

namespace {

// fds 0..N-1 open (a socket at 0, dups of it above), then the hole opened.
void model_dup(benchmark::State& state, bool at_end)
{
    const unsigned n = static_cast<unsigned>(state.range(0));
    sockmodel::kernel<> k;
    auto& t = k.spawn();
    const sockmodel::resource_limit r{sockmodel::sysctl_nr_open_default, sockmodel::sysctl_nr_open_default};
    k.setrlimit(t, RLIMIT_NOFILE, &r);
    const int base = k.socket(t, AF_UNIX, SOCK_STREAM, 0);
    for (unsigned i = 1; i < n; ++i)
        k.dup(t, base);
    const int hole = at_end ? static_cast<int>(n - 1) : base + 1;
    k.close(t, hole);
    for (auto _ : state) {
        const int fd = k.dup(t, base);
        benchmark::DoNotOptimize(fd);
        k.close(t, fd);
    }
    if (k.dup(t, base) != hole)
        state.SkipWithError("the model did not hand out the hole");
}

void model_alloc_fd(benchmark::State& state, bool at_end)
{
    const unsigned n = static_cast<unsigned>(state.range(0));
    const unsigned nr_open = sockmodel::sysctl_nr_open_default;
    sockmodel::files_struct files;
    for (unsigned i = 0; i < n; ++i)
        files.alloc_fd(0, nr_open, false, nr_open, false);
    const unsigned hole = at_end ? n - 1 : 1;  // fd 0 stands for the dup()ed file
    files.put_unused_fd(hole);
    for (auto _ : state) {
        const int fd = files.alloc_fd(0, nr_open, false, nr_open, false);
        benchmark::DoNotOptimize(fd);
        files.put_unused_fd(static_cast<unsigned>(fd));
    }
    if (files.alloc_fd(0, nr_open, false, nr_open, false) != static_cast<int>(hole))
        state.SkipWithError("the model did not hand out the hole");
}

void kernel_dup(benchmark::State& state, bool at_end)
{
    const unsigned n = static_cast<unsigned>(state.range(0));
    rlimit saved{};
    ::getrlimit(RLIMIT_NOFILE, &saved);
    if (n > saved.rlim_max) {
        state.SkipWithError(("hard RLIMIT_NOFILE is " + std::to_string(saved.rlim_max) +
                             " and cannot be raised (no CAP_SYS_RESOURCE)")
                                .c_str());
        return;
    }
    const rlimit raised{saved.rlim_max, saved.rlim_max};
    ::setrlimit(RLIMIT_NOFILE, &raised);
    const int base = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    std::vector<int> mine;
    // every fd up to N-1 open
    for (;;) {
        const int fd = ::fcntl(base, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            break;
        if (static_cast<unsigned>(fd) >= n) {
            ::close(fd);
            break;
        }
        mine.push_back(fd);
    }
    // base is this process's lowest free fd (whatever the harness keeps open lies below it)
    const int hole = at_end ? static_cast<int>(n - 1) : base + 1;
    ::close(hole);
    const int probe = ::dup(base);
    if (probe == hole) {
        ::close(probe);
        for (auto _ : state) {
            const int fd = ::dup(base);
            benchmark::DoNotOptimize(fd);
            ::close(fd);
        }
    } else if (probe >= 0) {
        ::close(probe);
    }
    for (int fd : mine)
        if (fd != hole)
            ::close(fd);
    ::close(base);
    ::setrlimit(RLIMIT_NOFILE, &saved);
    if (probe != hole)
        state.SkipWithError(("the kernel's dup() gave " + std::to_string(probe) + ", not the hole").c_str());
}

}  // namespace

int main(int argc, char** argv)
{
    const long ns[] = {16, 1024, 16384, 65536, 1048576};
    for (const bool at_end : {true, false}) {
        const std::string hole = at_end ? "end" : "low";
        for (const long n : ns) {
            const std::string suffix = "/" + hole;
            benchmark::RegisterBenchmark(("fd/model_dup" + suffix).c_str(), model_dup, at_end)->Arg(n);
            benchmark::RegisterBenchmark(("fd/model_alloc_fd" + suffix).c_str(), model_alloc_fd, at_end)->Arg(n);
            benchmark::RegisterBenchmark(("fd/kernel_dup" + suffix).c_str(), kernel_dup, at_end)->Arg(n);
        }
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
