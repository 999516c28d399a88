// The traced kernels of the other ABIs (see traced_abis_1.cpp).
#include "../model_run.hpp"

template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::parisc>>;
template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::sparc>>;
