// The README's example, kept compiling and true.
#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>

TEST_CASE("the README example")
{
    sockmodel::kernel<> k;
    auto& task = k.spawn(sockmodel::cred::user(65534, 65534));
    int fd = k.socket(task, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int raw = k.socket(task, AF_INET, SOCK_RAW, IPPROTO_ICMP);
    int proto = 0;
    k.getsockopt(task, fd, SOL_SOCKET, SO_PROTOCOL, &proto);
    CHECK(fd == 0);
    CHECK(raw == -EPERM);
    CHECK(proto == IPPROTO_TCP);
    CHECK(k.close(task, fd) == 0);
    k.exit(task);
    CHECK(k.counters() == sockmodel::kernel_counters{});

    using K = sockmodel::kernel<>;
    static_assert(sockmodel::socket_verdict_for<K>({}, sockmodel::cred::root(), AF_INET, SOCK_DGRAM, IPPROTO_ICMP).err ==
                  -EACCES);
}
