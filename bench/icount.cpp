// Instructions per TCP socket()+close() on a default kernel, for callgrind:
//
//     g++ -std=c++20 -O2 -DNDEBUG -Iinclude bench/icount.cpp -o icount
//     valgrind --tool=callgrind --instr-atstart=no ./icount 1     # N = 10000 pairs
//     valgrind --tool=callgrind --instr-atstart=no ./icount 2     # 2N
//
// (Ir(2N) - Ir(N)) / N is the cost of one pair, free of the fixed overhead.
// With SOCKMODEL_ICOUNT_FAULTS the kernel has the fault-injection policy on
// (and injects nothing), to see what the policy itself costs.
#include <sockmodel/sockmodel.hpp>

#include <sys/socket.h>
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>

#ifdef SOCKMODEL_ICOUNT_FAULTS
using K = sockmodel::kernel<sockmodel::config<sockmodel::opt::faults<sockmodel::fault::inject>>>;
#else
using K = sockmodel::kernel<>;
#endif

int main(int argc, char** argv)
{
    K k;
    auto& t = k.spawn();
    for (int i = 0; i < 1000; ++i) {  // warm the caches: no slab growth below
        const int fd = k.socket(t, AF_INET, SOCK_STREAM, 0);
        k.close(t, fd);
    }
    const int n = 10000 * (argc > 1 ? std::atoi(argv[1]) : 1);
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
    for (int i = 0; i < n; ++i) {
        const int fd = k.socket(t, AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return 1;
        k.close(t, fd);
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    std::printf("%d pairs\n", n);
}
