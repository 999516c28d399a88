// A struct derived from a config: its added members would be silently ignored.
// expect-error: kernel<Config>: Config must be sockmodel::config<options...>
#include <sockmodel/sockmodel.hpp>

#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
using my = sockmodel::config<sockmodel::opt::tracer<sockmodel::trace::recorder>>;
#else
struct my : sockmodel::default_config {
    using tracer = sockmodel::trace::recorder;
};
#endif

int main()
{
    sockmodel::kernel<my> k;
    return 0;
}
