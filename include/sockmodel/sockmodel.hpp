// The whole library: a model kernel, its default configuration, the verdict.
#pragma once

#include <sockmodel/arch/host.hpp>
#include <sockmodel/config.hpp>
#include <sockmodel/kernel.hpp>
#include <sockmodel/uapi/errno.hpp>
#include <sockmodel/verdict.hpp>
#include <sockmodel/version.hpp>
