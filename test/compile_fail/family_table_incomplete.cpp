// A kernel whose family's protocol table has an entry with an unset proto_ops
// slot (mmap): boot (register_family) refuses it. checked_protosw's own message
// for the same fault is protosw_ops_incomplete.cpp's.
// expect-error: an entry of the family's protocol table has an incomplete proto_ops or proto
#include <sockmodel/kernel.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>

template <class K>
inline constexpr sockmodel::proto_ops half_stream_ops{
    .family = sockmodel::af_inet,
    .name = "half_stream_ops",
    .release = &sockmodel::kernel_fn<K, &sockmodel::inet_release<K>>::call,
    .bind = {"inet_bind"},
    .connect = {"inet_stream_connect"},
    .socketpair = sockmodel::sock_no_socketpair,
    .accept = {"inet_accept"},
    .getname = {"inet_getname"},
    .poll = {"tcp_poll"},
    .ioctl = {"inet_ioctl"},
    .listen = {"inet_listen"},
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet_sendmsg"},
    .recvmsg = {"inet_recvmsg"},
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    .mmap = {"tcp_mmap"},
#endif
};

template <class K>
struct table {
    using abi = typename K::abi;
    static constexpr std::array<sockmodel::inet_protosw, 1> entries{{
        {.type = abi::sock_stream, .protocol = sockmodel::ipproto_tcp, .prot = sockmodel::tcp_prot<K>,
         .ops = half_stream_ops<K>, .flags = sockmodel::INET_PROTOSW_PERMANENT},
    }};
};
using cfg = sockmodel::config<sockmodel::opt::families<sockmodel::inet_family_t<table>>>;

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
