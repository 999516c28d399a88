// An inetsw entry with no ops table.
// expect-error: inet_register_protosw: an entry's proto_ops or proto is incomplete (net/ipv4/af_inet.c)
#include <sockmodel/kernel.hpp>
template <class K>
struct table {
    using abi = typename K::abi;
    static constexpr std::array<sockmodel::inet_protosw, 1> entries{{
        {abi::sock_stream, 6, &sockmodel::tcp_prot<K>, nullptr, sockmodel::INET_PROTOSW_PERMANENT},
    }};
};
struct cfg : sockmodel::default_config {
    using families = sockmodel::family_list<sockmodel::inet_family_t<table>>;
};
int main() { sockmodel::kernel<cfg> k; return 0; }
