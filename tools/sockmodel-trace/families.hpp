// The families sockmodel-trace's model kernels are built with: the library's
// default families and, in a build of the tool that names a header in
// SOCKMODEL_TRACE_FAMILIES_HEADER, the families that header lists as
// sockmodel_trace::user_families (a sockmodel::family_list<...>). As a kernel
// is built with the modules it is configured with: the tool then lists their
// fault points (--inject list), injects them, decodes their protocol names
// and parses them. examples/can builds sockmodel-trace-can so, with AF_CAN
// (examples/can/trace_families.hpp; tools/CMakeLists.txt:
// sockmodel_add_trace_tool).
#pragma once

#include <sockmodel/config.hpp>
#include <sockmodel/default_families.hpp>

#ifdef SOCKMODEL_TRACE_FAMILIES_HEADER
#include SOCKMODEL_TRACE_FAMILIES_HEADER
#endif

#include <optional>
#include <string_view>

namespace sockmodel_trace {

#ifndef SOCKMODEL_TRACE_FAMILIES_HEADER
using user_families = sockmodel::family_list<>;
#endif

namespace detail {
template <class Defaults, class User>
struct tool_families;
template <class... D, class... U>
struct tool_families<sockmodel::family_list<D...>, sockmodel::family_list<U...>> {
    using list = sockmodel::family_list<D..., U...>;
    using option = sockmodel::opt::families<D..., U...>;

    // The protocol number one of the families names `name` (upper case, as
    // its protocol_name prints it, e.g. "CAN_RAW"), if one does.
    static std::optional<int> protocol_by_name(std::string_view name)
    {
        std::optional<int> found;
        if (name.empty())
            return found;
        auto look = [&]<class F>() {
            if constexpr (requires { F::protocol_name(0); })
                for (int p = 0; p < 256 && !found; ++p)
                    if (F::protocol_name(p) == name)
                        found = p;
        };
        (look.template operator()<D>(), ...);
        (look.template operator()<U>(), ...);
        return found;
    }
};
}  // namespace detail

using families = detail::tool_families<sockmodel::default_families::list, user_families>;

}  // namespace sockmodel_trace
