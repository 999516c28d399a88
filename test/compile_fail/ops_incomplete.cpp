// An ops table with an empty slot: the kernel would jump through NULL.
// expect-error: proto_ops table incomplete (include/linux/net.h: the kernel calls every op without a NULL check)
#include <sockmodel/linux/net.hpp>

int half_release(void*, sockmodel::socket&) { return 0; }

constexpr sockmodel::proto_ops half_done{
    .family = 30,
    .name = "half_done",
    .release = &half_release,
    .bind = {"half_bind"},
    .connect = sockmodel::sock_no_connect,
    .socketpair = sockmodel::sock_no_socketpair,
    .accept = sockmodel::sock_no_accept,
    .getname = {"half_getname"},
    .poll = {"datagram_poll"},
    .ioctl = sockmodel::sock_no_ioctl,
    .listen = sockmodel::sock_no_listen,
    .shutdown = sockmodel::sock_no_shutdown,
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"half_sendmsg"},
    .recvmsg = {"half_recvmsg"},
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    .mmap = sockmodel::sock_no_mmap,
#endif
};
static_assert(sockmodel::checked_ops<&half_done>::value);
