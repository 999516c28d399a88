// The one translation unit that compiles sockmodel::kernel<> (the default
// configuration) for the programs that link sockmodel::default_kernel; see
// the end of <sockmodel/sockmodel.hpp>.
#include <sockmodel/sockmodel.hpp>

template class sockmodel::kernel<sockmodel::default_config>;
