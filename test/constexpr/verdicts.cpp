// The verdict at compile time: compiling this file is passing (CTRE-style).
// Each expectation was checked against the live kernel by the differential
// grid (test/differential/test_grid.cpp), which runs the same inputs.
//
// Credentials are built inside the constant expression, std::vector member
// and all (C++20 transient allocation).
#include <sockmodel/sockmodel.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <initializer_list>

namespace {

using model_kernel = sockmodel::kernel<>;

constexpr sockmodel::cred constexpr_user(std::initializer_list<sockmodel::kgid_t> groups = {})
{
    sockmodel::cred c = sockmodel::cred::user(65534, 65534);
    c.with_groups(groups);
    return c;
}

constexpr sockmodel::socket_verdict verdict(const sockmodel::net_sysctl& s, const sockmodel::cred& c, int family,
                                            int type, int protocol)
{
    return sockmodel::socket_verdict_for<model_kernel>(s, c, family, type, protocol);
}

constexpr sockmodel::net_sysctl sysctl_default{};
constexpr sockmodel::net_sysctl sysctl_ping_100_200{{100, 200}};
constexpr sockmodel::net_sysctl sysctl_no_mptcp{{1, 0}, false};

static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM, 0).protocol == IPPROTO_TCP);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM, 0).ops ==
              &sockmodel::inet_stream_ops<model_kernel>);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_DGRAM, 0).protocol == IPPROTO_UDP);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_RAW, 1).err == 0);
static_assert(verdict(sysctl_default, constexpr_user(), AF_INET, SOCK_RAW, 1).err == -EPERM);
static_assert(verdict(sysctl_default, constexpr_user(), AF_INET, SOCK_RAW, 0).err == -EPROTONOSUPPORT);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_DGRAM, IPPROTO_ICMP).err == -EACCES);
static_assert(verdict(sysctl_ping_100_200, constexpr_user({150}), AF_INET, SOCK_DGRAM, IPPROTO_ICMP).err == 0);
static_assert(verdict(sysctl_ping_100_200, constexpr_user({99, 201}), AF_INET, SOCK_DGRAM, IPPROTO_ICMP).err ==
              -EACCES);
static_assert(verdict(sysctl_no_mptcp, sockmodel::cred::root(), AF_INET, SOCK_STREAM, IPPROTO_MPTCP).err == -ENOPROTOOPT);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_UNIX, SOCK_RAW, 0).type == SOCK_DGRAM);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_UNIX, SOCK_STREAM, AF_UNIX).protocol == 0);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
                  .f_flags == (O_RDWR | O_NONBLOCK));
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0).cloexec);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM | 0x10, 0).err == -EINVAL);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM | 0x10, 0).where ==
              "__sys_socket_create");
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_MAX, SOCK_STREAM, 0).err == -EAFNOSUPPORT);
// (PF_INET, SOCK_PACKET) is PF_PACKET's: root gets one (SO_DOMAIN 17), nobody EPERM.
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_PACKET, 0).err == 0);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_PACKET, 0).family == AF_PACKET);
static_assert(verdict(sysctl_default, constexpr_user(), AF_INET, SOCK_PACKET, 0).err == -EPERM);
// The families beside AF_INET and AF_UNIX, one decision of each.
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET6, SOCK_STREAM, 0).protocol == IPPROTO_TCP);
static_assert(verdict(sysctl_default, constexpr_user(), AF_INET6, SOCK_RAW, IPPROTO_ICMPV6).err == -EPERM);
static_assert(verdict(sysctl_default, constexpr_user(), AF_NETLINK, SOCK_RAW, 0).err == 0);        // NETLINK_ROUTE
static_assert(verdict(sysctl_default, constexpr_user(), AF_NETLINK, SOCK_RAW, 1).err == -EPROTONOSUPPORT);
static_assert(verdict(sysctl_default, constexpr_user(), AF_NETLINK, SOCK_STREAM, 0).err == -ESOCKTNOSUPPORT);
static_assert(verdict(sysctl_default, constexpr_user(), AF_PACKET, SOCK_STREAM, 0).err == -EPERM);  // capability first
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_PACKET, SOCK_STREAM, 0).err == -ESOCKTNOSUPPORT);
static_assert(verdict(sysctl_default, constexpr_user(), AF_VSOCK, SOCK_DGRAM, 0).err == -ENODEV);   // no transport
static_assert(verdict(sysctl_default, constexpr_user(), AF_VSOCK, SOCK_STREAM, 1).err == -EPROTONOSUPPORT);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_XDP, SOCK_DGRAM, 0).err == -ESOCKTNOSUPPORT);
static_assert(verdict(sysctl_default, constexpr_user(), AF_XDP, SOCK_DGRAM, 0).err == -EPERM);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, 0, 0).err == -ESOCKTNOSUPPORT);
static_assert(verdict(sysctl_default, sockmodel::cred::root(), AF_INET, SOCK_STREAM, IPPROTO_MAX).err == -EINVAL);

}  // namespace
