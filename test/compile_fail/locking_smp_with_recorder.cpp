// A threaded kernel that records traces: the recorder keeps one trace for one
// system call at a time, so two threads would interleave (and race on) it.
// expect-error: opt::locking<lock::smp> with opt::tracer<trace::recorder>: the recorder keeps one trace
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/kernel/smp.hpp>

using cfg = sockmodel::config<sockmodel::opt::locking<sockmodel::lock::smp>
#ifndef SOCKMODEL_COMPILE_FAIL_TWIN
                              , sockmodel::opt::tracer<sockmodel::trace::recorder>
#endif
                              >;

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
