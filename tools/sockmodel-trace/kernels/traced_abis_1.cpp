// The traced kernels of three of the ABIs (see the end of model_run.hpp);
// traced_abis_2.cpp has the others, so the two compile in parallel.
#include "../model_run.hpp"

template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::generic>>;
template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::mips>>;
template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::alpha>>;
