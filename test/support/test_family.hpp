// The pieces every test family of the unit tests shares (a family of the
// user's own, as docs/families.md writes one): its ops table, whose release
// orphans and puts the sock (sock_common_release's part that counts), and a
// proto close that has nothing to close. Each test picks its family number,
// its modules, its sock type and its create.
#pragma once

#include <sockmodel/sockmodel.hpp>

namespace test_family_support {

template <class K>
int release_sk(sockmodel::context<K>& cx, sockmodel::socket& s)
{
    if (s.sk) {
        sockmodel::sock_orphan(*s.sk);
        sockmodel::sock_put(cx, *s.sk);
        s.sk = nullptr;
    }
    return 0;
}

template <class K>
void close_nothing(sockmodel::context<K>&, sockmodel::sock&, long)
{
}

// proto_ops "test_ops" of family F, owned by module Owner: release as above,
// every other op the kernel's sock_no_* stub or an unset sockopt.
template <class K, int F, const sockmodel::module* Owner>
inline constexpr sockmodel::proto_ops ops{
    .family = F,
    .owner = Owner,
    .name = "test_ops",
    .release = &sockmodel::kernel_fn<K, &release_sk<K>>::call,
    .bind = sockmodel::sock_no_bind,
    .connect = sockmodel::sock_no_connect,
    .socketpair = sockmodel::sock_no_socketpair,
    .accept = sockmodel::sock_no_accept,
    .getname = sockmodel::sock_no_getname,
    .poll = {"datagram_poll"},
    .ioctl = sockmodel::sock_no_ioctl,
    .listen = sockmodel::sock_no_listen,
    .shutdown = sockmodel::sock_no_shutdown,
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = sockmodel::sock_no_sendmsg,
    .recvmsg = sockmodel::sock_no_recvmsg,
    .mmap = sockmodel::sock_no_mmap,
};

// The one entry of a test family's protocol table.
struct entry {
    const sockmodel::proto& prot;
    const sockmodel::proto_ops& ops;
};

}  // namespace test_family_support
