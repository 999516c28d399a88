// The model's AF_INET/SOCK_STREAM socket()+close() compiled against a copy of
// include/ with every tracing call taken out of the source (bench/icount/absent.py,
// run by bench/CMakeLists.txt into the build tree) and with the namespace
// renamed (-Dsockmodel=sockmodel_absent), so that it links into the same
// benchmark binary as the default build without breaking the one-definition
// rule: "tracing compiled off" and "tracing absent" are timed in one run.
#include <sockmodel/sockmodel.hpp>

#include <benchmark/benchmark.h>

#include <sys/socket.h>

void path_absent_tcp(benchmark::State& state)
{
    sockmodel::kernel<> k;
    auto& t = k.spawn();
    for (auto _ : state) {
        const int fd = k.socket(t, AF_INET, SOCK_STREAM, 0);
        benchmark::DoNotOptimize(fd);
        k.close(t, fd);
    }
}
