// A configuration option that is not one of sockmodel::opt::* (a tracer passed bare).
// expect-error: sockmodel::config: an option is not a sockmodel::opt option
#include <sockmodel/sockmodel.hpp>

#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
using cfg = sockmodel::config<sockmodel::opt::tracer<sockmodel::trace::recorder>>;
#else
using cfg = sockmodel::config<sockmodel::trace::recorder>;
#endif

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
