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
