// socket()+close() in the model beside its floor (three slab pops and pushes
// plus an fd-bitmap set and clear) and beside the live kernel, with tracing
// off (the default) and on. Compare the ratios printed in one run.
#include <sockmodel/sockmodel.hpp>

#include <benchmark/benchmark.h>

#include <sys/socket.h>
#include <unistd.h>

namespace {

using traced = sockmodel::config<sockmodel::opt::tracer<sockmodel::trace::recorder>>;

template <class Config>
void model_socket_close(benchmark::State& state)
{
    sockmodel::kernel<Config> k;
    auto& t = k.spawn();
    for (auto _ : state) {
        const int fd = k.socket(t, AF_INET, SOCK_STREAM, 0);
        benchmark::DoNotOptimize(fd);
        k.close(t, fd);
        if constexpr (sockmodel::trace::enabled<typename Config::tracer>)
            k.tracer.clear();
    }
}

// The floor the brief sets: three slab objects (socket_alloc, sock, file) and one fd.
void floor_slab_and_bitmap(benchmark::State& state)
{
    sockmodel::kmem_cache a("socket_alloc", sizeof(sockmodel::socket_alloc));
    sockmodel::kmem_cache b("TCP", sizeof(sockmodel::tcp_sock));
    sockmodel::kmem_cache c("filp", sizeof(sockmodel::file));
    sockmodel::files_struct files;
    for (auto _ : state) {
        void* x = a.alloc();
        void* y = b.alloc();
        void* z = c.alloc();
        const int fd = files.alloc_fd(0, 1024, false, 1u << 20, false);
        benchmark::DoNotOptimize(x);
        benchmark::DoNotOptimize(y);
        benchmark::DoNotOptimize(z);
        files.put_unused_fd(static_cast<unsigned>(fd));
        c.free(z);
        b.free(y);
        a.free(x);
    }
}

void live_kernel_socket_close(benchmark::State& state)
{
    for (auto _ : state) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        benchmark::DoNotOptimize(fd);
        ::close(fd);
    }
}

}  // namespace

BENCHMARK(floor_slab_and_bitmap);
BENCHMARK_TEMPLATE(model_socket_close, sockmodel::default_config)->Name("model_socket_close/trace_none");
BENCHMARK_TEMPLATE(model_socket_close, traced)->Name("model_socket_close/trace_recorder");
BENCHMARK(live_kernel_socket_close);

BENCHMARK_MAIN();
