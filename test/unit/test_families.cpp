// The new families' behaviour the live grid does not read back: IPv6 fields
// (ipv6only of PINGv6, hdrincl of RAWv6 255, the ipv6_pinfo), AF_PACKET's
// 16-bit protocol and receive hook, netlink protocols and vsock transports
// registered at run time (model and verdict agree), cap_capable's owner rule,
// unshare, and constant verdicts. No root needed.
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/kernel/smp.hpp>

#include <doctest/doctest.h>

#include <cerrno>

namespace {

using K = sockmodel::kernel<>;
using abi = K::abi;
using sockmodel::cred;

sockmodel::sock* sk_of(sockmodel::task_struct& t, int fd)
{
    const sockmodel::file* f = t.files->lookup(fd);
    return f ? static_cast<const sockmodel::socket*>(f->private_data)->sk : nullptr;
}

constexpr int af_inet6 = sockmodel::af_inet6, af_packet = sockmodel::af_packet, af_netlink = sockmodel::af_netlink,
              af_vsock = sockmodel::af_vsock, af_xdp = sockmodel::af_xdp;

// Constant verdicts: boot-time states, a netns owned by init_user_ns.
constexpr sockmodel::net_sysctl host{};
static_assert(sockmodel::socket_verdict_for<K>(host, cred::root(), af_inet6, abi::sock_stream, 0).protocol == 6);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::root(), af_inet6, abi::sock_raw, 0).err == -EPROTONOSUPPORT);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::user(), af_inet6, abi::sock_raw, 58).err == -EPERM);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::user(), af_inet6, abi::sock_raw, 263).err == -EINVAL);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::root(), af_inet6, abi::sock_dgram, 58).err == -EACCES);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::user(), af_packet, abi::sock_stream, 0).err == -EPERM);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::root(), sockmodel::af_inet, abi::sock_packet, 263).family ==
              af_packet);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::user(), af_netlink, abi::sock_raw, 0).err == 0);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::user(), af_netlink, abi::sock_raw, 1).err ==
              -EPROTONOSUPPORT);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::user(), af_netlink, abi::sock_stream, 99).err ==
              -ESOCKTNOSUPPORT);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::user(), af_vsock, abi::sock_dgram, 0).err == -ENODEV);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::user(), af_vsock, abi::sock_raw, 1).err == -EPROTONOSUPPORT);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::root(), af_vsock, abi::sock_stream, af_vsock).protocol == 0);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::root(), af_xdp, abi::sock_raw, af_xdp).err == -EPROTONOSUPPORT);
static_assert(sockmodel::socket_verdict_for<K>(host, cred::root(), af_xdp, abi::sock_dgram, 0).err == -ESOCKTNOSUPPORT);

// cap_capable as a constant: a child namespace's root has nothing over its parent.
constexpr sockmodel::user_namespace child{&sockmodel::init_user_ns, 1, 65534, 65534, 1};
constexpr cred in_child = [] {
    cred c = cred::user();
    c.user_ns = &child;
    c.cap_effective = sockmodel::kernel_cap_t::full();
    return c;
}();
static_assert(!sockmodel::ns_capable(sockmodel::init_user_ns, in_child, sockmodel::capability::net_raw));
static_assert(sockmodel::ns_capable(child, in_child, sockmodel::capability::net_raw));
// The owner rule: nobody (no capabilities, init_user_ns) over the namespace it created.
static_assert(sockmodel::ns_capable(child, cred::user(), sockmodel::capability::net_raw));
static_assert(!sockmodel::ns_capable(child, cred::user(1000, 1000), sockmodel::capability::net_raw));
static_assert(!sockmodel::capable(in_child, sockmodel::capability::sys_admin));

}  // namespace

TEST_CASE("the new families' fields: IPv6, AF_PACKET, netlink and vsock registered at run time, XDP")
{
    K k;
    auto& t = k.spawn();

    SUBCASE("IPv6: PINGv6 sets ipv6only, RAWv6 255 hdrincl, MPTCPv6 when mptcp is disabled")
    {
        // PINGv6 with the range open: sk_ipv6only forced; RAWv6 255 hdrincl, others not.
        k.init_net.sysctl.ping_group_range = {0, 0};
        const int ping = k.socket(t, af_inet6, abi::sock_dgram, 58);
        CHECK_MESSAGE((ping >= 0 && sk_of(t, ping)->sk_ipv6only), "PINGv6 sets sk_ipv6only");
        const int udp = k.socket(t, af_inet6, abi::sock_dgram, 0);
        CHECK_MESSAGE((udp >= 0 && !sk_of(t, udp)->sk_ipv6only), "UDPv6 takes bindv6only (0)");
        CHECK_MESSAGE((udp >= 0 && sk_of(t, udp)->sk_prot->name == "UDPv6"), "UDPv6 proto name");
        const int raw255 = k.socket(t, af_inet6, abi::sock_raw, 255);
        REQUIRE(raw255 >= 0);
        auto& r255 = static_cast<sockmodel::raw6_sock&>(*sk_of(t, raw255));
        CHECK_MESSAGE((r255.hdrincl && r255.inet_num == 255 && r255.pinet6 == &r255.inet6 &&
                       r255.inet6.hop_limit == -1),
                      "RAWv6 255: hdrincl, inet_num, pinet6");
        const int raw58 = k.socket(t, af_inet6, abi::sock_raw, 58);
        REQUIRE(raw58 >= 0);
        auto& r58 = static_cast<sockmodel::raw6_sock&>(*sk_of(t, raw58));
        CHECK_MESSAGE((!r58.hdrincl && r58.checksum && r58.offset == 2), "RAWv6 58: no hdrincl, ICMPv6 checksum at 2");
        k.init_net.sysctl.mptcp_enabled = false;
        CHECK_MESSAGE(k.socket(t, af_inet6, abi::sock_stream, 262) == -ENOPROTOOPT,
                      "MPTCPv6 refused when mptcp disabled");
        CHECK_MESSAGE(sockmodel::socket_verdict_for(k, k.init_net, t.cred, af_inet6, abi::sock_stream, 262).err ==
                          -ENOPROTOOPT,
                      "verdict: MPTCPv6 refused when mptcp disabled");
    }

    SUBCASE("AF_PACKET: the protocol kept in 16 bits, the hook only when non-zero")
    {
        const int p1 = k.socket(t, af_packet, abi::sock_raw, 0x0300);
        const int p2 = k.socket(t, af_packet, abi::sock_dgram, 65536);
        const int p3 = k.socket(t, af_packet, abi::sock_packet, -1);
        REQUIRE(p1 >= 0);
        REQUIRE(p2 >= 0);
        REQUIRE(p3 >= 0);
        CHECK_MESSAGE((sockmodel::pkt_sk(*sk_of(t, p1)).num == 0x0300 && sockmodel::pkt_sk(*sk_of(t, p1)).hook_running),
                      "packet 0x0300: num and hook");
        CHECK_MESSAGE((sockmodel::pkt_sk(*sk_of(t, p2)).num == 0 && !sockmodel::pkt_sk(*sk_of(t, p2)).hook_running),
                      "packet 65536: num 0, no hook");
        CHECK_MESSAGE((sockmodel::pkt_sk(*sk_of(t, p3)).num == 0xffff &&
                       sk_of(t, p3)->sk_socket->ops->name == "packet_ops_spkt"),
                      "packet SOCK_PACKET -1: num 0xffff, packet_ops_spkt");
        CHECK_MESSAGE(k.family_state<sockmodel::packet_family>().prot_hooks == 2, "two packet hooks registered");
    }

    SUBCASE("netlink: a protocol registered at run time")
    {
        CHECK_MESSAGE(k.socket(t, af_netlink, abi::sock_raw, 5) == -EPROTONOSUPPORT, "NETLINK_NFLOG unregistered");
        k.family_state<sockmodel::netlink_family>().netlink_kernel_create(5);
        CHECK_MESSAGE(sockmodel::socket_verdict_for(k, k.init_net, t.cred, af_netlink, abi::sock_raw, 5).err == 0,
                      "verdict sees NETLINK_NFLOG registered");
        const int nl = k.socket(t, af_netlink, abi::sock_raw, 5);
        CHECK_MESSAGE((nl >= 0 && sk_of(t, nl)->sk_protocol == 5), "NETLINK_NFLOG created, sk_protocol 5");
        k.family_state<sockmodel::netlink_family>().netlink_kernel_release(5);
        CHECK_MESSAGE(k.socket(t, af_netlink, abi::sock_dgram, 5) == -EPROTONOSUPPORT,
                      "NETLINK_NFLOG unregistered again");
    }

    SUBCASE("vsock: a dgram transport loaded at run time")
    {
        CHECK_MESSAGE(k.socket(t, af_vsock, abi::sock_dgram, 0) == -ENODEV, "vsock DGRAM without transport");
        k.family_state<sockmodel::vsock_family>().vsock_core_register(sockmodel::VSOCK_TRANSPORT_F_DGRAM);
        CHECK_MESSAGE(sockmodel::socket_verdict_for(k, k.init_net, t.cred, af_vsock, abi::sock_dgram, 0).err == 0,
                      "verdict sees the dgram transport");
        CHECK_MESSAGE(k.socket(t, af_vsock, abi::sock_dgram, 0) >= 0, "vsock DGRAM with a transport");
        CHECK_MESSAGE(k.family_state<sockmodel::vsock_family>().unbound == 1, "one vsock on the unbound table");
    }

    SUBCASE("netlink units and vsock transports through the kernel-level calls (locked under lock::smp)")
    {
        CHECK(sockmodel::netlink_kernel_create(k, 5) == 0);
        CHECK(sockmodel::netlink_kernel_create(k, sockmodel::max_links) == -EINVAL);
        const int nl = k.socket(t, af_netlink, abi::sock_raw, 5);
        CHECK(nl >= 0);
        sockmodel::netlink_kernel_release(k, 5);
        CHECK(k.socket(t, af_netlink, abi::sock_raw, 5) == -EPROTONOSUPPORT);
        sockmodel::vsock_core_register(k, sockmodel::VSOCK_TRANSPORT_F_DGRAM);
        CHECK(k.socket(t, af_vsock, abi::sock_dgram, 0) >= 0);
        sockmodel::vsock_core_unregister(k, sockmodel::VSOCK_TRANSPORT_F_DGRAM);
        CHECK(k.socket(t, af_vsock, abi::sock_dgram, 0) == -ENODEV);
        CHECK(k.family_state<sockmodel::vsock_family>().registered() == sockmodel::VSOCK_TRANSPORT_F_G2H);
    }

    SUBCASE("XDP")
    {
        const int x = k.socket(t, af_xdp, abi::sock_raw, 0);
        CHECK_MESSAGE((x >= 0 && sk_of(t, x)->flag(sockmodel::sock_flag::rcu_free)), "XDP sock, SOCK_RCU_FREE");
    }

    k.exit_all();
    CHECK_MESSAGE(k.counters() == sockmodel::kernel_counters{}, "counters back to zero (1)");
}

TEST_CASE("namespaces: nobody's userns+netns, and the owner rule from outside")
{
    K k;
    auto& a = k.spawn(cred::user());
    CHECK_MESSAGE(k.unshare(a, sockmodel::clone_flag::newuser | sockmodel::clone_flag::newnet) == 0,
                  "unshare user+net");
    CHECK_MESSAGE((a.net_ns != &k.init_net && a.net_ns->user_ns == a.cred.user_ns),
                  "new netns owned by the new userns");
    CHECK_MESSAGE((a.net_ns->sysctl.ping_group_range.low == 1 && a.net_ns->sysctl.ping_group_range.high == 0),
                  "fresh ping_group_range 1 0");
    CHECK_MESSAGE(k.socket(a, af_packet, abi::sock_raw, 0x0300) >= 0, "packet inside own netns");
    auto& b = k.spawn(cred::user());
    b.net_ns = a.net_ns;  // setns into it, without capabilities
    CHECK_MESSAGE(k.socket(b, sockmodel::af_inet, abi::sock_raw, 1) >= 0, "owner rule: nobody opens raw in its netns");
    auto& c = k.spawn(cred::user(1000, 1000));
    c.net_ns = a.net_ns;
    CHECK_MESSAGE(k.socket(c, sockmodel::af_inet, abi::sock_raw, 1) == -EPERM, "another uid does not");
    auto& d = k.spawn(cred::user());
    CHECK_MESSAGE(k.unshare(d, sockmodel::clone_flag::newnet) == -EPERM, "unshare(CLONE_NEWNET) needs CAP_SYS_ADMIN");
    CHECK_MESSAGE((k.unshare(d, sockmodel::clone_flag::newuser) == 0 && k.socket(d, af_xdp, abi::sock_raw, 0) == -EPERM),
                  "userns alone: XDP EPERM in the init netns");
    k.exit_all();
    CHECK_MESSAGE(k.counters() == sockmodel::kernel_counters{}, "counters back to zero (2)");
}

TEST_CASE("unshare(CLONE_NEWUSER) of a multithreaded process is EINVAL; sharing only the fd table is not")
{
    // Linux 6.18, as root: a process with two threads gets EINVAL from
    // unshare(CLONE_NEWUSER) (ksys_unshare adds CLONE_THREAD; check_unshare_flags
    // wants an empty thread group) and 0 from unshare(CLONE_NEWNET); a process
    // that shares only its descriptor table (clone(CLONE_FILES)) gets 0.
    K k;
    auto& leader = k.spawn();
    auto& thread = k.clone_thread(leader);
    CHECK(k.unshare(leader, sockmodel::clone_flag::newuser) == -EINVAL);
    CHECK(k.unshare(thread, sockmodel::clone_flag::newuser) == -EINVAL);
    CHECK(k.unshare(thread, sockmodel::clone_flag::newuser | sockmodel::clone_flag::newnet) == -EINVAL);
    CHECK(k.user_namespaces().empty());
    CHECK(leader.cred.user_ns == &sockmodel::init_user_ns);
    CHECK(k.unshare(thread, sockmodel::clone_flag::newnet) == 0);
    const int pid = k.clone(leader, sockmodel::clone_flag::files);
    REQUIRE(pid > 0);
    auto& sibling = *k.find_task(pid);
    CHECK(sibling.files == leader.files);
    CHECK(leader.files->users() == 3);
    CHECK(k.unshare(sibling, sockmodel::clone_flag::newuser) == 0);
    // Once the other thread is gone the leader is alone in its group.
    k.exit(thread);
    CHECK(leader.files->users() == 2);
    CHECK(k.unshare(leader, sockmodel::clone_flag::newuser) == 0);
    CHECK(k.user_namespaces().size() == 2);
}

TEST_CASE("files->count: the last task of a table closes what is open in it")
{
    K k;
    auto& leader = k.spawn();
    auto& thread = k.clone_thread(leader);
    const int fd = k.socket(leader, sockmodel::af_inet, abi::sock_stream, 0);
    REQUIRE(fd == 0);
    CHECK(leader.files->users() == 2);
    k.exit(leader);
    CHECK(thread.files->users() == 1);
    CHECK(k.counters().open_fds == 1);  // still open in the thread's (shared) table
    CHECK(k.close(thread, fd) == 0);
    CHECK(k.socket(thread, sockmodel::af_inet, abi::sock_dgram, 0) == 0);
    k.exit(thread);
    CHECK(k.counters() == sockmodel::kernel_counters{});
}

TEST_CASE("the boot trace: sock_register in the live kernel's order, counters back to zero")
{
    using traced = sockmodel::config<sockmodel::opt::tracer<sockmodel::trace::recorder>>;
    sockmodel::kernel<traced> k;
    auto& t = k.spawn();
    k.socket(t, af_netlink, abi::sock_raw, 0);
    k.exit_all();
    CHECK_MESSAGE(k.counters() == sockmodel::kernel_counters{}, "counters back to zero (traced)");
}
