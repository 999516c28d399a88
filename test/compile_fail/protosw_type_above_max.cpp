// inet_register_protosw refuses a type >= SOCK_MAX.
// expect-error: inet_register_protosw: protosw type >= SOCK_MAX (net/ipv4/af_inet.c)
#include <sockmodel/kernel.hpp>
template <class K>
struct table {
    using abi = typename K::abi;
    static constexpr std::array<sockmodel::inet_protosw, 1> entries{{
        {11, 6, &sockmodel::tcp_prot<K>, &sockmodel::inet_stream_ops<K>, sockmodel::INET_PROTOSW_PERMANENT},
    }};
};
struct cfg : sockmodel::default_config {
    using families = sockmodel::family_list<sockmodel::inet_family_t<table>>;
};
int main() { sockmodel::kernel<cfg> k; return 0; }
