// A configuration that gives one option twice: which ABI would the kernel have?
// expect-error: sockmodel::config: an option is given twice: keep one of them
#include <sockmodel/sockmodel.hpp>

using cfg = sockmodel::config<sockmodel::opt::abi<sockmodel::arch::mips>,
#ifndef SOCKMODEL_COMPILE_FAIL_TWIN
                              sockmodel::opt::abi<sockmodel::arch::generic>,
#endif
                              sockmodel::opt::tracer<sockmodel::trace::recorder>>;

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
