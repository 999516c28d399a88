// The untraced host kernel of --quiet (see the end of model_run.hpp).
#include "../model_run.hpp"

template class sockmodel::kernel<sockmodel_trace::quiet_config<sockmodel::arch::host>>;
