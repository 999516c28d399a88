// A translation unit that includes the system headers a user of the library
// is likely to have included first, with all their macros (CAP_NET_RAW,
// ETH_P_IP, htons, SOCK_STREAM, RLIMIT_NOFILE, O_NONBLOCK, EINVAL, ...),
// before <sockmodel/sockmodel.hpp>, and then uses the library with a
// using-directive at namespace scope. It must compile with g++ and clang++,
// at -O0 and -O2. Needs no root.
//
// Expected values: the socket below is checked against the live kernel in
// the same run (socket(AF_INET, SOCK_STREAM, 0) → SO_PROTOCOL 6); the
// capability numbers against <linux/capability.h>'s macros.

#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>

// This TU compiles the whole default kernel under those macros itself, even
// though its program links sockmodel::default_kernel (the compiled mode).
#undef SOCKMODEL_EXTERN_DEFAULT_KERNEL
#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

using namespace sockmodel;

namespace {

// The library's names and libc's side by side.
static_assert(static_cast<unsigned>(capability::net_raw) == CAP_NET_RAW);
static_assert(static_cast<unsigned>(capability::net_admin) == CAP_NET_ADMIN);
static_assert(static_cast<unsigned>(capability::sys_resource) == CAP_SYS_RESOURCE);
static_assert(static_cast<unsigned>(capability::sys_admin) == CAP_SYS_ADMIN);
static_assert(cap_last_cap == CAP_LAST_CAP);
static_assert(kernel<>::abi::rlimit_nofile == RLIMIT_NOFILE);
static_assert(kernel<>::abi::sock_nonblock == SOCK_NONBLOCK);
static_assert(kernel<>::abi::o_cloexec == O_CLOEXEC);
static_assert(ipproto_tcp == IPPROTO_TCP && ipproto_max == IPPROTO_MAX);
static_assert(rlim_infinity == RLIM_INFINITY);

}  // namespace

TEST_CASE("macro-hostile TU: the library beside libc's and the kernel uapi's macros")
{
    using namespace sockmodel;
    kernel<> k;
    cred c = cred::user();
    c.cap_effective.raise(capability::net_raw);
    CHECK(c.cap_effective.raised(capability::net_raw));
    task_struct& t = k.spawn(c);

    // libc's struct rlimit and the library's resource_limit, both in scope
    struct rlimit host{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &host) == 0);
    const resource_limit lim{64, 4096};
    CHECK(k.setrlimit(t, RLIMIT_NOFILE, &lim) == 0);
    resource_limit back{};
    CHECK(k.getrlimit(t, RLIMIT_NOFILE, &back) == 0);
    CHECK(back == lim);

    // socket() from libc and the model's, one after the other. libc's must be
    // called as ::socket: with `using namespace sockmodel` an unqualified
    // socket(...) is ambiguous between ::socket(int, int, int) and
    // struct sockmodel::socket (include/sockmodel/linux/net.hpp:36), with
    // g++ 12 and clang++ 14 alike (reported to the lead). getsockopt, close,
    // getrlimit, dup and fcntl are unaffected: the library's are members of kernel<>.
    const int live = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(live >= 0);
    int live_proto = 0;
    socklen_t len = sizeof live_proto;
    REQUIRE(getsockopt(live, SOL_SOCKET, SO_PROTOCOL, &live_proto, &len) == 0);
    CHECK(fcntl(live, F_GETFL) == O_RDWR);
    close(live);

    const int fd = k.socket(t, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd == 0);
    int proto = 0;
    CHECK(k.getsockopt(t, fd, SOL_SOCKET, SO_PROTOCOL, &proto) == 0);
    CHECK(proto == live_proto);
    CHECK(k.fcntl(t, fd, F_GETFD) == FD_CLOEXEC);
    CHECK(k.fcntl(t, fd, F_GETFL) == O_RDWR);
    // a raw socket: CAP_NET_RAW is what lets uid 65534 have it here
    CHECK(k.socket(t, AF_INET, SOCK_RAW, IPPROTO_ICMP) == 1);
    CHECK(k.socket(k.spawn(cred::user()), AF_INET, SOCK_RAW, IPPROTO_ICMP) == -EPERM);
    // AF_PACKET with an ethertype from libc's htons (a macro here): the
    // capability check comes first, so uid 65534 without caps gets EPERM
    // (checked live by test/differential/test_grid.cpp) and this task a socket.
    CHECK(k.socket(k.spawn(cred::user()), AF_PACKET, SOCK_RAW, htons(ETH_P_IP)) == -EPERM);
    CHECK(k.socket(t, AF_PACKET, SOCK_RAW, htons(ETH_P_IP)) == 2);
    CHECK(k.close(t, 2) == 0);
    CHECK(ntohs(htons(ETH_P_ALL)) == ETH_P_ALL);
    // NETLINK_ROUTE from <linux/netlink.h> (a macro; the model's is netlink_route).
    const int nl = k.socket(t, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    CHECK(nl == 2);
    CHECK(k.close(t, nl) == 0);
    CHECK(errno_name(-EINVAL) == "EINVAL");

    CHECK(k.close(t, 0) == 0);
    CHECK(k.close(t, 1) == 0);
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}
