// A sample LSM added at run time: deny raw sockets (SOCK_RAW in any family,
// and every AF_PACKET socket) to one uid. It answers -EACCES from its
// socket_create hook, as the LSMs of a real kernel do: SELinux's
// selinux_socket_create returns avc_has_perm's -EACCES, AppArmor's
// aa_sock_create_perm -EACCES too. The hook runs in __sock_create after the
// type has been masked (flags gone) and after (PF_INET, SOCK_PACKET) has become
// PF_PACKET, so both are caught; it runs before sock_alloc, so a denial
// allocates nothing and comes before the capability check of the family.
//
// The hook is owned by the LSM object: add it with k.security_hooks.add(lsm.create)
// (the kernel's security_add_hooks) and remove it before the object goes away.
#pragma once

#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/security/hooks.hpp>

#include <sys/socket.h>   // SOCK_RAW, AF_PACKET

namespace lsm_example {

class deny_raw {
public:
    explicit deny_raw(sockmodel::kuid_t uid) : uid_(uid) {}

    // Is (family, type) a raw socket? The type is already masked here.
    static bool is_raw(int family, int type) { return type == SOCK_RAW || family == AF_PACKET; }

    sockmodel::lsm::socket_create_hook create{
        "deny_raw", [this](const sockmodel::cred& c, int family, int type, int, int kern) {
            ++calls;
            if (kern || c.euid != uid_ || !is_raw(family, type))
                return 0;   // kernel sockets are never denied (kern=1), as SELinux lets them pass
            ++denied;
            return -EACCES;
        }};

    long calls = 0;
    long denied = 0;

private:
    sockmodel::kuid_t uid_;
};

}  // namespace lsm_example
