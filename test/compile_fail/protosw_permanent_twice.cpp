// inet_register_protosw refuses to override a permanent protocol.
// expect-error: inet_register_protosw: two permanent entries for one (type, protocol) (net/ipv4/af_inet.c)
#include <sockmodel/kernel.hpp>
template <class K>
struct table {
    using abi = typename K::abi;
    static constexpr std::array<sockmodel::inet_protosw, 2> entries{{
        {abi::sock_stream, 6, &sockmodel::tcp_prot<K>, &sockmodel::inet_stream_ops<K>, sockmodel::INET_PROTOSW_PERMANENT},
        {abi::sock_stream, 6, &sockmodel::mptcp_prot<K>, &sockmodel::inet_stream_ops<K>, sockmodel::INET_PROTOSW_PERMANENT},
    }};
};
struct cfg : sockmodel::default_config {
    using families = sockmodel::family_list<sockmodel::inet_family_t<table>>;
};
int main() { sockmodel::kernel<cfg> k; return 0; }
