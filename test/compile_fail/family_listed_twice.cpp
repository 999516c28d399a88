// Registering a family twice is EEXIST at boot; in a compile-time list, an error.
// expect-error: sock_register: a family is listed twice (net/socket.c, -EEXIST at boot)
#include <sockmodel/kernel.hpp>
struct cfg : sockmodel::default_config {
    using families = sockmodel::family_list<sockmodel::inet_family, sockmodel::unix_family, sockmodel::inet_family>;
};
int main() { sockmodel::kernel<cfg> k; return 0; }
