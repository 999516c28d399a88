// sock_register answers ENOBUFS for a family >= NPROTO; a compile-time list cannot hold one.
// expect-error: sock_register: family number >= AF_MAX (net/socket.c)
#include <sockmodel/kernel.hpp>
struct af_future : sockmodel::unix_family {
    static constexpr int family = 46;
};
struct cfg : sockmodel::default_config {
    using families = sockmodel::family_list<af_future>;
};
int main() { sockmodel::kernel<cfg> k; return 0; }
