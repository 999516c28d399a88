// The ABI of the machine this translation unit is compiled for.
#pragma once

#include <sockmodel/arch/alpha.hpp>
#include <sockmodel/arch/generic.hpp>
#include <sockmodel/arch/mips.hpp>
#include <sockmodel/arch/parisc.hpp>
#include <sockmodel/arch/sparc.hpp>

#include <tuple>

namespace sockmodel::arch {

#if defined(__mips__)
using host = mips;
#elif defined(__alpha__)
using host = alpha;
#elif defined(__hppa__)
using host = parisc;
#elif defined(__sparc__)
using host = sparc;
#else
using host = generic;
#endif

// Every ABI the library ships, for tables and tests that walk them all.
using all_abis = std::tuple<generic, mips, alpha, parisc, sparc>;

}  // namespace sockmodel::arch
