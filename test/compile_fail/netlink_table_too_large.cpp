// A netlink boot registration table with more protocols than nl_table has slots.
// expect-error: netlink protocol table larger than MAX_LINKS (net/netlink/af_netlink.c
#include <sockmodel/kernel.hpp>
#include <sockmodel/net/netlink/af_netlink.hpp>

#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
inline constexpr int protocols[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
#else
inline constexpr int protocols[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 31};
#endif
using cfg = sockmodel::config<sockmodel::opt::families<sockmodel::netlink_family_t<protocols>>>;

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
