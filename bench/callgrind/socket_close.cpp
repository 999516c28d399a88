// Instructions per TCP socket()+close() on a default model kernel, counted by
// callgrind between CALLGRIND_START_INSTRUMENTATION and _STOP:
//
//     g++ -std=c++20 -O2 -DNDEBUG -I include bench/callgrind/socket_close.cpp -o /tmp/cg
//     valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.N /tmp/cg N
//     valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.2N /tmp/cg 2N
//
// (I(2N) - I(N)) / N is the cost of one pair, without the set-up.
// Build with -DSOCKMODEL_CG_RUNTIME_LSM to count a kernel with opt::runtime_lsm
// and no hook registered.
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/security/hooks.hpp>

#include <valgrind/callgrind.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>

#ifdef SOCKMODEL_CG_RUNTIME_LSM
using K = sockmodel::kernel<sockmodel::config<sockmodel::opt::runtime_lsm<true>>>;
#else
using K = sockmodel::kernel<>;
#endif

int main(int argc, char** argv)
{
    const long n = argc > 1 ? std::atol(argv[1]) : 10000;
    K k;
    auto& task = k.spawn();
    int bad = 0;
    CALLGRIND_START_INSTRUMENTATION;
    for (long i = 0; i < n; ++i) {
        const int fd = k.socket(task, AF_INET, SOCK_STREAM, 0);
        bad += fd != 0;
        bad += k.close(task, fd) != 0;
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    return bad == 0 ? 0 : 1;
}
