// The families sockmodel-trace-can is built with beside the library's:
// AF_CAN from af_can.hpp (tools/sockmodel-trace/families.hpp reads
// sockmodel_trace::user_families from the header that
// SOCKMODEL_TRACE_FAMILIES_HEADER names; tools/CMakeLists.txt builds it).
#pragma once

#include "af_can.hpp"

#include <sockmodel/net/family.hpp>

namespace sockmodel_trace {
using user_families = sockmodel::family_list<can_example::can_family>;
}  // namespace sockmodel_trace
