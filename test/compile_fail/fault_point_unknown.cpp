// A fault point that does not exist: the points are constants declared by the
// code that owns them (namespace fault_point), so a misspelt one names nothing.
// expect-error: no_such_point
#include <sockmodel/sockmodel.hpp>

using cfg = sockmodel::config<sockmodel::opt::faults<sockmodel::fault::inject>>;

int main()
{
    sockmodel::kernel<cfg> k;
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    k.faults.fail_nth(sockmodel::fault_point::sock_alloc, 1);
#else
    k.faults.fail_nth(sockmodel::fault_point::no_such_point, 1);
#endif
    return 0;
}
