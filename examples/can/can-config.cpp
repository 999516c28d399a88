// AF_CAN registered at boot: a compile-time family list naming the default
// families (<sockmodel/default_families.hpp>, in their order) plus the
// user's can_family. The constexpr verdict and the run-time path are both
// derived from can_family::choose, and this program checks that they agree
// on every (type, protocol) it tries, then that everything is freed again.
#include "af_can.hpp"
#include "check.hpp"

#include <sockmodel/default_families.hpp>
#include <sockmodel/kernel.hpp>
#include <sockmodel/verdict.hpp>

#include <fcntl.h>
#include <sys/socket.h>

#include <cstdio>
#include <string>

namespace sm = sockmodel;
using can_example::af_can;
using can_example::can_bcm;
using can_example::can_family;
using can_example::can_raw;

using can_config = sm::config<sm::opt::families<sm::netlink_family, sm::inet_family, sm::unix_family,
                                                sm::xsk_family, sm::inet6_family, sm::packet_family,
                                                sm::vsock_family, can_family>>;
using K = sm::kernel<can_config>;

// The verdict, as constants: no capability needed, SO_PROTOCOL 0, and each
// error named after the function that returned it.
constexpr sm::cred nobody = sm::cred::user(65534, 65534);
static_assert(sm::socket_verdict_for<K>({}, nobody, af_can, SOCK_RAW, can_raw).err == 0);
static_assert(sm::socket_verdict_for<K>({}, nobody, af_can, SOCK_RAW, can_raw).protocol == 0);
static_assert(sm::socket_verdict_for<K>({}, nobody, af_can, SOCK_RAW, can_raw).family == af_can);
static_assert(sm::socket_verdict_for<K>({}, nobody, af_can, SOCK_DGRAM, can_bcm).err == 0);
static_assert(sm::socket_verdict_for<K>({}, nobody, af_can, SOCK_DGRAM, can_raw).err == -EPROTOTYPE);
static_assert(sm::socket_verdict_for<K>({}, nobody, af_can, SOCK_RAW, 9).err == -EINVAL);
static_assert(sm::socket_verdict_for<K>({}, nobody, af_can, SOCK_RAW, -1).err == -EINVAL);
static_assert(sm::socket_verdict_for<K>({}, nobody, af_can, SOCK_DGRAM, can_example::can_isotp).err ==
              -EPROTONOSUPPORT);
static_assert(sm::socket_verdict_for<K>({}, nobody, af_can, SOCK_DGRAM, can_raw).where == "can_create");

int main()
{
    can_example::checker check;
    K k;
    auto& t = k.spawn(nobody);

    // Open one of each.
    const int raw = k.socket(t, af_can, SOCK_RAW | SOCK_CLOEXEC, can_raw);
    const int bcm = k.socket(t, af_can, SOCK_DGRAM, can_bcm);
    check.equal(raw, 0, "socket(AF_CAN, SOCK_RAW|SOCK_CLOEXEC, CAN_RAW) as nobody");
    check.equal(bcm, 1, "socket(AF_CAN, SOCK_DGRAM, CAN_BCM) as nobody");
    int v = -1;
    check(k.getsockopt(t, raw, SOL_SOCKET, SO_DOMAIN, &v) == 0 && v == af_can, "SO_DOMAIN is AF_CAN");
    check(k.getsockopt(t, raw, SOL_SOCKET, SO_TYPE, &v) == 0 && v == SOCK_RAW, "SO_TYPE is SOCK_RAW");
    check(k.getsockopt(t, raw, SOL_SOCKET, SO_PROTOCOL, &v) == 0 && v == 0,
          "SO_PROTOCOL is 0: can_create never sets sk_protocol");
    check(k.getsockopt(t, bcm, SOL_SOCKET, SO_TYPE, &v) == 0 && v == SOCK_DGRAM, "SO_TYPE is SOCK_DGRAM");
    check.equal(k.fcntl(t, raw, F_GETFD), FD_CLOEXEC, "F_GETFD of the SOCK_CLOEXEC one");
    check.equal(k.fcntl(t, bcm, F_GETFL), O_RDWR, "F_GETFL");

    // Module references while open: one per sock on its proto's owner
    // (sk_prot_alloc); none left on the family (__sock_create puts it) and
    // none on the ops (raw_ops and bcm_ops have no owner).
    check.equal(k.modules.refcount(&can_example::can_raw_module), 1, "can_raw held by the open CAN_RAW socket");
    check.equal(k.modules.refcount(&can_example::can_bcm_module), 1, "can_bcm held by the open CAN_BCM socket");
    check.equal(k.modules.refcount(&can_example::can_module), 0, "can: pf->owner put after create");
    // The family's own state: raw_notifier_list and bcm_notifier_list.
    check.equal(k.family_state<can_family>().raw, 1, "raw_notifier_list has the socket");
    check.equal(k.family_state<can_family>().bcm, 1, "bcm_notifier_list has the socket");
    check.equal(k.counters().family_state, 2, "counters() counts the family's state");

    // Every (type, protocol): the run-time answer is the verdict's.
    const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_DCCP, SOCK_PACKET};
    int tried = 0;
    for (int type : types)
        for (int protocol = -2; protocol <= 10; ++protocol) {
            const sm::socket_verdict want = sm::socket_verdict_for(k, k.init_net, t.cred, af_can, type, protocol);
            const int fd = k.socket(t, af_can, type, protocol);
            const std::string what = "socket(AF_CAN, " + std::to_string(type) + ", " + std::to_string(protocol) +
                                     "): model " + std::to_string(fd) + ", verdict " + std::to_string(want.err);
            check(fd >= 0 ? want.err == 0 : fd == want.err, what);
            if (fd >= 0) {
                check(k.getsockopt(t, fd, SOL_SOCKET, SO_TYPE, &v) == 0 && v == want.type, what + ": SO_TYPE");
                check.equal(k.close(t, fd), 0, what + ": close");
            }
            ++tried;
        }
    check.equal(tried, 91, "inputs tried");

    // The kernel's answers, spelled out.
    check.equal(k.socket(t, af_can, SOCK_DGRAM, can_raw), -EPROTOTYPE, "CAN_RAW is SOCK_RAW only");
    check.equal(k.socket(t, af_can, SOCK_RAW, can_bcm), -EPROTOTYPE, "CAN_BCM is SOCK_DGRAM only");
    check.equal(k.socket(t, af_can, SOCK_RAW, 0), -EPROTONOSUPPORT, "protocol 0: proto_tab[0] is NULL");
    check.equal(k.socket(t, af_can, SOCK_DGRAM, can_example::can_j1939), -EPROTONOSUPPORT,
                "CAN_J1939 not loaded: request_module finds nothing");
    check.equal(k.socket(t, af_can, SOCK_RAW, can_example::can_nproto), -EINVAL, "protocol CAN_NPROTO");
    check.equal(k.socket(t, af_can, SOCK_RAW, -1), -EINVAL, "protocol -1");

    // can_get_proto fails on a module being unloaded: EPROTONOSUPPORT.
    k.modules.set_state(&can_example::can_raw_module, sm::module_state::going);
    check.equal(k.socket(t, af_can, SOCK_RAW, can_raw), -EPROTONOSUPPORT, "can_raw going: cp = NULL");
    k.modules.set_state(&can_example::can_raw_module, sm::module_state::live);
    // __sock_create's try_module_get(pf->owner) fails on can going: EAFNOSUPPORT.
    k.modules.set_state(&can_example::can_module, sm::module_state::going);
    check.equal(k.socket(t, af_can, SOCK_RAW, can_raw), -EAFNOSUPPORT, "can going: pf->owner");
    k.modules.set_state(&can_example::can_module, sm::module_state::live);

    // Nothing leaked by the failures: still exactly the two open sockets.
    check.equal(static_cast<long>(k.counters().socks), 2, "two socks in use");
    check.equal(k.close(t, raw), 0, "close(raw)");
    check.equal(k.close(t, bcm), 0, "close(bcm)");
    check.equal(k.modules.refcount(&can_example::can_raw_module), 0, "can_raw refcount back to 0");
    check.equal(k.modules.refcount(&can_example::can_bcm_module), 0, "can_bcm refcount back to 0");
    check.equal(k.counters().family_state, 0, "notifier lists empty");
    k.exit_all();
    check(k.counters() == sm::kernel_counters{}, "every counter back to zero");
    return check.finish();
}
