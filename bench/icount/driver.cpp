// A driver for callgrind (bench/icount.sh): runs N socket()+close() pairs, or
// N rounds of the floor, between CALLGRIND_START_INSTRUMENTATION and
// CALLGRIND_STOP_INSTRUMENTATION, after one untimed round that warms every
// cache. icount.sh runs it with N and 2N: (I(2N) - I(N)) / N is the count of
// one operation, free of start-up and warm-up.
//
//   driver model CASE N    the model, default configuration (CASE: index into bench::socket_cases)
//   driver traced CASE N   the model with trace::recorder (events cleared each round);
//                          only when built with -DICOUNT_TRACED
//   driver faults CASE N   the model with opt::faults<fault::inject>, nothing armed;
//                          only when built with -DICOUNT_FAULTS
//   driver smp CASE N      the model with opt::locking<lock::smp>, one thread
//   driver lsm CASE N      the model with opt::runtime_lsm<true>, no hook registered;
//                          only when built with -DICOUNT_RUNTIME_LSM
//   driver floor 0 N       the floor of bench/common.hpp, with the model's TCP object sizes
//   driver state 0 N       the state floor of bench/state_floor.hpp: the model's AF_INET/tcp
//                          objects, fields and counters as straight-line stores
//   driver malloc 0 N      glibc malloc+free of objects of the same sizes, plus the fd bitmap
// Compiled against a copy of include/ with the tracing calls taken out
// (absent.py), `model` measures the library with no tracing at all.
//
// The one callgrind driver of the repository. By hand (CASE 3 is AF_INET/tcp):
//
//     g++ -std=c++20 -O2 -DNDEBUG -Iinclude bench/icount/driver.cpp -o /tmp/cg
//     valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.N /tmp/cg model 3 10000
//     valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.2N /tmp/cg model 3 20000
//
// Without -DICOUNT_TRACED the program instantiates the default configuration
// only, as a user's program with one configuration would: a second kernel<>
// in the same program calls the same non-template functions (kmem_cache,
// files_struct, ...) from more places, and GCC's inliner then decides
// differently for both (e.g. a function called once is inlined, one called
// twice may not be). "Tracing off" against "absent" compares two programs
// that differ in the tracing policy alone.
#include "../common.hpp"
#include "../state_floor.hpp"

#include <sockmodel/sockmodel.hpp>
#include <sockmodel/kernel/smp.hpp>
#include <sockmodel/security/hooks.hpp>

#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

template <class Config>
int run_model(const bench::socket_case& c, long n)
{
    sockmodel::kernel<Config> k;
    if (c.ping) {
        k.init_net.sysctl.ping_group_range.low = 0;
        k.init_net.sysctl.ping_group_range.high = 2147483647;
    }
    auto& t = k.spawn();
    int bad = 0;
    for (long i = -1; i < n; ++i) {
        if (i == 0)
            CALLGRIND_START_INSTRUMENTATION;
        const int fd = k.socket(t, c.family, c.type, c.protocol);
        bad |= fd < 0;
        k.close(t, fd);
        if constexpr (sockmodel::trace::enabled<typename Config::tracer>)
            k.tracer.clear();
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    return bad;
}

[[gnu::noinline]] int run_floor(long n)
{
    bench::floor_path f(sizeof(sockmodel::socket_alloc), sizeof(sockmodel::tcp_sock), sizeof(sockmodel::file));
    int sum = 0;
    for (long i = -1; i < n; ++i) {
        if (i == 0)
            CALLGRIND_START_INSTRUMENTATION;
        void* a = f.inode.pop();
        void* b = f.sk.pop();
        void* c = f.filp.pop();
        const int fd = f.fds.set_lowest();
        asm volatile("" : : "r"(a), "r"(b), "r"(c), "r"(fd) : "memory");  // as benchmark::DoNotOptimize
        sum += fd;
        f.fds.clear(static_cast<unsigned>(fd));
        f.filp.push(c);
        f.sk.push(b);
        f.inode.push(a);
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    return sum < 0;
}

// The state floor's objects are the model's, member for member.
static_assert(sizeof(bench::state_floor::socket_alloc_t) == sizeof(sockmodel::socket_alloc));
static_assert(sizeof(bench::state_floor::tcp_sock_t) == sizeof(sockmodel::tcp_sock));
static_assert(sizeof(bench::state_floor::file_t) == sizeof(sockmodel::file));

[[gnu::noinline]] int run_state_floor(long n)
{
    static bench::state_floor f;  // static: its addresses are constants, as the kernel's globals are
    int sum = 0;
    for (long i = -1; i < n; ++i) {
        if (i == 0)
            CALLGRIND_START_INSTRUMENTATION;
        const int fd = f.socket();
        asm volatile("" : : "r"(fd) : "memory");
        sum += fd;
        f.close(fd);
        asm volatile("" : : : "memory");
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    return sum < 0;
}

// glibc malloc+free of three objects of the model's sizes, and the fd bitmap.
[[gnu::noinline]] int run_malloc(long n)
{
    bench::fd_bitmap fds(1024);
    int sum = 0;
    for (long i = -1; i < n; ++i) {
        if (i == 0)
            CALLGRIND_START_INSTRUMENTATION;
        void* a = std::malloc(sizeof(sockmodel::socket_alloc));
        void* b = std::malloc(sizeof(sockmodel::tcp_sock));
        void* c = std::malloc(sizeof(sockmodel::file));
        const int fd = fds.set_lowest();
        asm volatile("" : : "r"(a), "r"(b), "r"(c), "r"(fd) : "memory");
        sum += fd;
        fds.clear(static_cast<unsigned>(fd));
        std::free(c);
        std::free(b);
        std::free(a);
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    return sum < 0;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s model|traced|faults|lsm|smp|floor|state|malloc CASE N\n", argv[0]);
        return 2;
    }
    const auto& c = bench::socket_cases.at(static_cast<std::size_t>(std::atoi(argv[2])));
    const long n = std::atol(argv[3]);
    if (!std::strcmp(argv[1], "model"))
        return run_model<sockmodel::default_config>(c, n);
#ifdef ICOUNT_FAULTS
    if (!std::strcmp(argv[1], "faults"))
        return run_model<sockmodel::config<sockmodel::opt::faults<sockmodel::fault::inject>>>(c, n);
#endif
#ifdef ICOUNT_RUNTIME_LSM
    if (!std::strcmp(argv[1], "lsm"))
        return run_model<sockmodel::config<sockmodel::opt::runtime_lsm<true>>>(c, n);
#endif
#ifdef ICOUNT_TRACED
    if (!std::strcmp(argv[1], "traced"))
        return run_model<sockmodel::config<sockmodel::opt::tracer<sockmodel::trace::recorder>>>(c, n);
#endif
    if (!std::strcmp(argv[1], "smp"))
        return run_model<sockmodel::config<sockmodel::opt::locking<sockmodel::lock::smp>>>(c, n);
    if (!std::strcmp(argv[1], "floor"))
        return run_floor(n);
    if (!std::strcmp(argv[1], "state"))
        return run_state_floor(n);
    if (!std::strcmp(argv[1], "malloc"))
        return run_malloc(n);
    return 2;
}
