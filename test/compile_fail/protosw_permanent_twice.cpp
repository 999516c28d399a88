// inet_register_protosw refuses to override a permanent protocol.
// expect-error: inet_register_protosw: two permanent entries for one (type, protocol) (net/ipv4/af_inet.c
#include <sockmodel/kernel.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>

template <class K>
struct table {
    using abi = typename K::abi;
    static constexpr std::array<sockmodel::inet_protosw, 2> entries{{
        {.type = abi::sock_stream, .protocol = sockmodel::ipproto_tcp, .prot = sockmodel::tcp_prot<K>,
         .ops = sockmodel::inet_stream_ops<K>, .flags = sockmodel::INET_PROTOSW_PERMANENT},
        {.type = abi::sock_stream, .protocol = sockmodel::ipproto_tcp, .prot = sockmodel::mptcp_prot<K>,
         .ops = sockmodel::mptcp_stream_ops<K>,
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
         .flags = 0},
#else
         .flags = sockmodel::INET_PROTOSW_PERMANENT},
#endif
    }};
};
using cfg = sockmodel::config<sockmodel::opt::families<sockmodel::inet_family_t<table>>>;

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
