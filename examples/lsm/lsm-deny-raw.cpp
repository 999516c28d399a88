// The sample LSM (deny_raw.hpp) on a kernel with opt::runtime_lsm<true>:
// added at run time, raw sockets denied to uid 1000 only, its order with
// another hook (the first non-zero answer wins and the rest are not called),
// removed at run time, and every counter back to zero.
//
// Live-kernel checks behind the expected values (this host, Linux 6.18, no
// LSM denying sockets): as root, socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) and
// socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) succeed (fd 0 in a process
// with no fds here); as uid 65534 with no capabilities both fail with EPERM
// (inet_create's and packet_create's CAP_NET_RAW check). -EACCES is what
// SELinux/AppArmor answer from the hook; no hook runs on the live host, so
// that answer is the kernel source's (security/selinux/hooks.c).
#include "deny_raw.hpp"

#include "../can/check.hpp"

#include <sockmodel/sockmodel.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>
#include <string>

namespace sm = sockmodel;
using K = sm::kernel<sm::config<sm::opt::runtime_lsm<true>, sm::opt::tracer<sm::trace::recorder>>>;

namespace {

const int eth_p_all = htons(0x0003);

// uid `id` with CAP_NET_RAW, so only the LSM can deny it a raw socket.
sm::cred raw_capable(sm::kuid_t id)
{
    return sm::cred::user(id, id).with_caps(sm::kernel_cap_t::empty().raise(sm::capability::net_raw));
}

// socket() then close() at once; the answer of socket().
int try_socket(K& k, sm::task_struct& t, int family, int type, int protocol)
{
    const int fd = k.socket(t, family, type, protocol);
    if (fd >= 0)
        k.close(t, fd);
    return fd;
}

bool traced(const K& k, std::string_view fn, std::string_view text)
{
    for (const auto& e : k.tracer.events)
        if (e.what == sm::trace::kind::note && e.fn == fn && e.text == text)
            return true;
    return false;
}

}  // namespace

int main()
{
    can_example::checker check;
    K k;
    auto& alice = k.spawn(raw_capable(1000));   // the uid the LSM denies
    auto& bob = k.spawn(raw_capable(1001));
    auto& nobody = k.spawn(sm::cred::user());     // no capabilities at all

    // Before: raw sockets follow the capability rules only.
    check.equal(try_socket(k, alice, AF_INET, SOCK_RAW, IPPROTO_ICMP), 0, "uid 1000 raw before the LSM");
    check.equal(try_socket(k, nobody, AF_INET, SOCK_RAW, IPPROTO_ICMP), -EPERM, "no CAP_NET_RAW: EPERM");

    lsm_example::deny_raw lsm(1000);
    k.security_hooks.add(lsm.create);   // security_add_hooks, while the kernel runs
    check(lsm.create.added(), "the hook is added");

    // Raw denied for uid 1000 only: SOCK_RAW in any family, AF_PACKET of any type.
    check.equal(try_socket(k, alice, AF_INET, SOCK_RAW, IPPROTO_ICMP), -EACCES, "uid 1000 AF_INET raw");
    check.equal(try_socket(k, alice, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), -EACCES, "uid 1000 AF_INET6 raw");
    check.equal(try_socket(k, alice, AF_UNIX, SOCK_RAW, 0), -EACCES, "uid 1000 AF_UNIX raw");
    check.equal(try_socket(k, alice, AF_PACKET, SOCK_DGRAM, eth_p_all), -EACCES, "uid 1000 AF_PACKET dgram");
    check.equal(try_socket(k, alice, AF_INET, SOCK_PACKET, eth_p_all), -EACCES,
                "uid 1000 PF_INET/SOCK_PACKET (seen as PF_PACKET)");
    check.equal(try_socket(k, alice, AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP), -EACCES,
                "uid 1000 raw with a flag (the hook sees the masked type)");
    check.equal(try_socket(k, alice, AF_INET, SOCK_STREAM, 0), 0, "uid 1000 TCP allowed");
    check.equal(try_socket(k, bob, AF_INET, SOCK_RAW, IPPROTO_ICMP), 0, "uid 1001 raw allowed");
    check.equal(try_socket(k, bob, AF_PACKET, SOCK_RAW, eth_p_all), 0, "uid 1001 packet allowed");
    // The LSM runs before inet_create's capability check: EACCES, not EPERM.
    lsm_example::deny_raw deny_nobody(65534);
    k.security_hooks.add(deny_nobody.create);
    check.equal(try_socket(k, nobody, AF_INET, SOCK_RAW, IPPROTO_ICMP), -EACCES, "the LSM answers before CAP_NET_RAW");
    k.security_hooks.remove(deny_nobody.create);

    // Traced: the hook's name and answer, as the compile-time chain's are.
    k.tracer.clear();
    try_socket(k, alice, AF_INET, SOCK_RAW, IPPROTO_ICMP);
    check(traced(k, "security_socket_create", "deny_raw: EACCES"), "trace note: deny_raw: EACCES");
    k.tracer.clear();
    try_socket(k, bob, AF_INET, SOCK_RAW, IPPROTO_ICMP);
    check(traced(k, "security_socket_create", "deny_raw: allow"), "trace note: deny_raw: allow");

    // Order with another hook: the first non-zero answer wins, the rest are not called.
    long other_calls = 0;
    sm::lsm::socket_create_hook other{"other", [&](const sm::cred& c, int, int type, int, int) {
                                          ++other_calls;
                                          return c.euid == 1000 && type == SOCK_RAW ? -EPERM : 0;
                                      }};
    k.security_hooks.add(other);   // after deny_raw
    other_calls = 0;
    check.equal(try_socket(k, alice, AF_INET, SOCK_RAW, IPPROTO_ICMP), -EACCES, "deny_raw first: EACCES");
    check.equal(other_calls, 0, "the second hook is not called after a denial");
    check.equal(try_socket(k, alice, AF_INET, SOCK_STREAM, 0), 0, "both allow TCP");
    check.equal(other_calls, 1, "the second hook is called after an allow");
    k.security_hooks.remove(lsm.create);
    k.security_hooks.add(lsm.create);   // now after "other"
    check.equal(try_socket(k, alice, AF_INET, SOCK_RAW, IPPROTO_ICMP), -EPERM, "other first: EPERM");
    k.security_hooks.remove(other);

    // Programming errors are reported: removed twice, added twice.
    bool threw = false;
    try {
        k.security_hooks.remove(other);
    } catch (const sockmodel::bug_error&) {
        threw = true;
    }
    check(threw, "removing a hook twice throws sockmodel::bug_error");
    threw = false;
    try {
        k.security_hooks.add(lsm.create);
    } catch (const sockmodel::bug_error&) {
        threw = true;
    }
    check(threw, "adding a hook twice throws sockmodel::bug_error");

    // Removed at run time: raw allowed again, subject to capabilities.
    const long denied = lsm.denied;
    k.security_hooks.remove(lsm.create);
    check(!lsm.create.added() && k.security_hooks.empty(), "no hook left");
    check.equal(try_socket(k, alice, AF_INET, SOCK_RAW, IPPROTO_ICMP), 0, "uid 1000 raw after removal");
    check.equal(try_socket(k, alice, AF_PACKET, SOCK_RAW, eth_p_all), 0, "uid 1000 packet after removal");
    check.equal(try_socket(k, nobody, AF_INET, SOCK_RAW, IPPROTO_ICMP), -EPERM, "still EPERM without CAP_NET_RAW");
    check.equal(lsm.denied, denied, "the removed hook is not called");

    // The constexpr verdict sees the compile-time chain only (none here).
    check.equal(sm::socket_verdict_for<K>({}, raw_capable(1000), AF_INET, SOCK_RAW, IPPROTO_ICMP).err, 0,
                "the verdict ignores run-time hooks");

    // Every counter back to zero.
    k.exit_all();
    check(k.counters() == sm::kernel_counters{}, "counters back to zero");
    return check.finish();
}
