// The traced kernel of ABI host (see the end of model_run.hpp).
#include "../model_run.hpp"

template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::host>>;
