// Registering a family twice is EEXIST at boot; in a compile-time list, an error.
// expect-error: sock_register: a family is listed twice (net/socket.c answers -EEXIST at boot)
#include <sockmodel/kernel.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>
#include <sockmodel/net/unix/af_unix.hpp>

#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
using cfg = sockmodel::config<sockmodel::opt::families<sockmodel::inet_family, sockmodel::unix_family>>;
#else
using cfg = sockmodel::config<
    sockmodel::opt::families<sockmodel::inet_family, sockmodel::unix_family, sockmodel::inet_family>>;
#endif

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
