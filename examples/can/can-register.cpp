// AF_CAN registered at run time on a default kernel, as `modprobe can-raw
// can-bcm` registers it on a kernel that booted without it (this host's,
// where socket(AF_CAN, ...) answers EAFNOSUPPORT), then unregistered while
// sockets of it are still open, as can.ko's exit (can_exit → sock_unregister)
// does: new sockets get EAFNOSUPPORT, the open ones keep working and still
// close and free everything.
#include "af_can.hpp"
#include "check.hpp"

#include <sockmodel/sockmodel.hpp>

#include <sys/socket.h>

namespace sm = sockmodel;
using can_example::af_can;
using can_example::can_bcm;
using can_example::can_family;
using can_example::can_raw;

int main()
{
    can_example::checker check;
    using K = sm::kernel<>;
    const auto* raw_mod = &can_example::can_raw_module;
    const auto* bcm_mod = &can_example::can_bcm_module;
    const auto* can_mod = &can_example::can_module;

    {
        K k;  // the default families: no AF_CAN
        auto& t = k.spawn(sm::cred::user(65534, 65534));
        check.equal(k.socket(t, af_can, SOCK_RAW, can_raw), -EAFNOSUPPORT, "before registration: EAFNOSUPPORT");

        // The module inits: proto_register for each proto of the table, the
        // modules made known, then sock_register.
        check.equal(k.register_family<can_family>(), 0, "register_family<can_family>");
        check.equal(k.register_family<can_family>(), -EEXIST, "a second sock_register: EEXIST");

        const int raw1 = k.socket(t, af_can, SOCK_RAW, can_raw);
        const int raw2 = k.socket(t, af_can, SOCK_RAW | SOCK_NONBLOCK, can_raw);
        const int bcm = k.socket(t, af_can, SOCK_DGRAM, can_bcm);
        check.equal(raw1, 0, "socket(AF_CAN, SOCK_RAW, CAN_RAW)");
        check.equal(raw2, 1, "socket(AF_CAN, SOCK_RAW|SOCK_NONBLOCK, CAN_RAW)");
        check.equal(bcm, 2, "socket(AF_CAN, SOCK_DGRAM, CAN_BCM)");
        check.equal(k.socket(t, af_can, SOCK_DGRAM, can_raw), -EPROTOTYPE, "(SOCK_DGRAM, CAN_RAW): EPROTOTYPE");
        check.equal(k.socket(t, af_can, SOCK_RAW, 9), -EINVAL, "protocol 9: EINVAL");
        check.equal(k.modules.refcount(raw_mod), 2, "can_raw: one reference per open CAN_RAW sock");
        check.equal(k.modules.refcount(bcm_mod), 1, "can_bcm: one reference");
        check.equal(k.modules.refcount(can_mod), 0, "can: no reference left by create");

        // rmmod: sock_unregister(PF_CAN) while three sockets are open.
        k.sock_unregister(af_can);
        check.equal(k.socket(t, af_can, SOCK_RAW, can_raw), -EAFNOSUPPORT, "after sock_unregister: EAFNOSUPPORT");
        check.equal(k.socket(t, af_can, SOCK_DGRAM, can_bcm), -EAFNOSUPPORT, "after sock_unregister: EAFNOSUPPORT");
        int v = 0;
        check(k.getsockopt(t, raw2, SOL_SOCKET, SO_DOMAIN, &v) == 0 && v == af_can,
              "an open socket still answers getsockopt");
        const int dup = k.dup(t, bcm);
        check.equal(dup, 3, "dup of an open CAN socket");

        check.equal(k.close(t, raw1), 0, "close(raw1)");
        check.equal(k.close(t, raw2), 0, "close(raw2)");
        check.equal(k.close(t, bcm), 0, "close(bcm): the dup still holds the file");
        check.equal(k.modules.refcount(bcm_mod), 1, "can_bcm still held through the dup");
        check.equal(k.close(t, dup), 0, "close(dup)");
        check.equal(k.modules.refcount(raw_mod), 0, "can_raw refcount 0");
        check.equal(k.modules.refcount(bcm_mod), 0, "can_bcm refcount 0");
        check.equal(k.modules.refcount(can_mod), 0, "can refcount 0");

        // modprobe again: the protos are still registered, sock_register succeeds anew.
        check.equal(k.register_family<can_family>(), 0, "registered again");
        const int again = k.socket(t, af_can, SOCK_RAW, can_raw);
        check.equal(again, 0, "socket after re-registration: the lowest fd again");
        check.equal(k.close(t, again), 0, "close");
        k.sock_unregister(af_can);

        k.exit_all();
        check(k.counters() == sm::kernel_counters{}, "every counter back to zero");
    }

    {
        // The same by hand: proto_register for each proto, then sock_register
        // of the family's net_proto_family entry (sockmodel::family_ops).
        K k;
        auto& t = k.spawn(sm::cred::root());
        for (const auto& e : can_family::protosw<K>::entries)
            check.equal(k.proto_register(e.prot), 0, "proto_register");
        check.equal(k.sock_register(&sm::family_ops<K, can_family>), 0, "sock_register");
        check.equal(k.sock_register(&sm::family_ops<K, can_family>), -EEXIST, "sock_register twice: EEXIST");
        const int fd = k.socket(t, af_can, SOCK_DGRAM, can_bcm);
        check.equal(fd, 0, "socket(AF_CAN, SOCK_DGRAM, CAN_BCM) as root");
        check.equal(k.modules.refcount(bcm_mod), 1, "can_bcm held");
        k.sock_unregister(af_can);
        check.equal(k.socket(t, af_can, SOCK_DGRAM, can_bcm), -EAFNOSUPPORT, "unregistered: EAFNOSUPPORT");
        // do_exit closes what the task left open.
        k.exit_all();
        check.equal(k.modules.refcount(bcm_mod), 0, "can_bcm released by exit");
        check(k.counters() == sm::kernel_counters{}, "every counter back to zero");
    }
    return check.finish();
}
