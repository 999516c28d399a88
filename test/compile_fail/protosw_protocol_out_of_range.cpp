// An inetsw-style entry whose protocol inet_create could never look up.
// expect-error: inetsw entry protocol outside 0..IPPROTO_MAX-1 (net/ipv4/af_inet.c
#include <sockmodel/kernel.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>

template <class K>
struct table {
    using abi = typename K::abi;
    static constexpr std::array<sockmodel::inet_protosw, 1> entries{{
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
        {.type = abi::sock_stream, .protocol = sockmodel::ipproto_tcp,
#else
        {.type = abi::sock_stream, .protocol = sockmodel::ipproto_max,
#endif
         .prot = sockmodel::tcp_prot<K>, .ops = sockmodel::inet_stream_ops<K>,
         .flags = sockmodel::INET_PROTOSW_PERMANENT},
    }};
};
using cfg = sockmodel::config<sockmodel::opt::families<sockmodel::inet_family_t<table>>>;

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
