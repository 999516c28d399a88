// The ABIs --abi takes: every one in sockmodel::arch::all_abis by its `name`,
// and "host" for sockmodel::arch::host. Parsing, the help text and dispatch
// all walk that tuple; there is no list of names here.
#pragma once

#include <sockmodel/arch/host.hpp>

#include <string>
#include <string_view>
#include <tuple>

namespace sockmodel_trace {

inline constexpr std::string_view host_abi_name = "host";

// The ABIs this build of the tool models: all_abis, or only the host's when
// built with SOCKMODEL_TRACE_HOST_ABI_ONLY (sockmodel_add_trace_tool's
// HOST_ABI_ONLY: a tool for one family's tests, compiled in a fraction of the
// time, as each ABI is a kernel instantiation of its own).
#if defined(SOCKMODEL_TRACE_HOST_ABI_ONLY) && SOCKMODEL_TRACE_HOST_ABI_ONLY
using tool_abis = std::tuple<sockmodel::arch::host>;
#else
using tool_abis = sockmodel::arch::all_abis;
#endif

// f.template operator()<A>() for every A in tool_abis, in order.
template <class F>
constexpr void for_each_abi(F&& f)
{
    [&]<class... A>(std::tuple<A...>*) { (f.template operator()<A>(), ...); }(static_cast<tool_abis*>(nullptr));
}

inline bool is_abi_name(std::string_view name)
{
    bool found = name == host_abi_name;
    for_each_abi([&]<class A>() { found = found || A::name == name; });
    return found;
}

// "generic, mips, alpha, parisc, sparc or host"
inline std::string abi_choices()
{
    std::string out;
    for_each_abi([&]<class A>() { out += std::string(A::name) + ", "; });
    if (!out.empty())
        out.resize(out.size() - 2);
    return out + " or " + std::string(host_abi_name);
}

// Whether `name` is the ABI of this machine (--compare-host needs it).
inline bool is_host_abi(std::string_view name)
{
    return name == host_abi_name || name == sockmodel::arch::host::name;
}

// f.template operator()<A>() for the ABI called `name`, which is_abi_name.
template <class F>
int with_abi(std::string_view name, F&& f)
{
    if (name == host_abi_name)
        return f.template operator()<sockmodel::arch::host>();
    int rc = 0;
    bool done = false;
    for_each_abi([&]<class A>() {
        if (!done && A::name == name) {
            rc = f.template operator()<A>();
            done = true;
        }
    });
    if (!done)
        return f.template operator()<sockmodel::arch::host>();
    return rc;
}

}  // namespace sockmodel_trace
