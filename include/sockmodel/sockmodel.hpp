// The whole library: a model kernel with the default families and
// configuration, and the constexpr verdict.
#pragma once

#if __cplusplus < 202002L
#error "sockmodel needs C++20: compile with -std=c++20 (CMake: target_compile_features(... cxx_std_20))"
#endif

#include <sockmodel/arch/host.hpp>
#include <sockmodel/config.hpp>
#include <sockmodel/default_families.hpp>
#include <sockmodel/kernel.hpp>
#include <sockmodel/uapi/errno.hpp>
#include <sockmodel/verdict.hpp>
#include <sockmodel/version.hpp>

// The default kernel compiled once ({fmt}'s compiled mode): a program that
// links the CMake target sockmodel::default_kernel (or defines
// SOCKMODEL_EXTERN_DEFAULT_KERNEL=1 and links a TU that defines the
// instantiation, src/default_kernel.cpp) compiles none of kernel<>'s member
// functions in its own translation units; it still constructs, calls and
// destroys kernel<> objects as before. Every other configuration, and this
// one without the macro, is instantiated where it is used (header-only).
#if defined(SOCKMODEL_EXTERN_DEFAULT_KERNEL) && SOCKMODEL_EXTERN_DEFAULT_KERNEL
extern template class sockmodel::kernel<sockmodel::default_config>;
#endif
