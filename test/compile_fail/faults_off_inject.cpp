// Asking a kernel without fault injection to inject: a compile-time error
// that says how to turn it on.
// expect-error: fault injection is off in this kernel's configuration
#include <sockmodel/sockmodel.hpp>

#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
using cfg = sockmodel::config<sockmodel::opt::faults<sockmodel::fault::inject>>;
#else
using cfg = sockmodel::config<>;
#endif

int main()
{
    sockmodel::kernel<cfg> k;
    k.faults.fail_nth(sockmodel::fault_point::sock_alloc, 1);
    return 0;
}
