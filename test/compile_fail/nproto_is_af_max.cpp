// NPROTO must be AF_MAX: net_families[] is sized by it.
// expect-error: NPROTO != AF_MAX (include/uapi/linux/net.h sizes net_families[] by NPROTO)
#include <sockmodel/arch/generic.hpp>

struct short_table : sockmodel::arch::generic {
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    static constexpr int nproto = af_max;
#else
    static constexpr int nproto = 32;
#endif
};
static_assert(sockmodel::arch::checked_abi<short_table>::value);
