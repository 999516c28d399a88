// The families a configuration gets when it names none: those this host's
// kernel has that the model covers, in the kernel's registration order.
//
// The order is the boot order of the live kernel's "NET: Registered PF_...
// protocol family" messages: netlink_proto_init (core_initcall), then the
// fs_initcalls in link order (inet_init in net/ipv4, af_unix_init in
// net/unix, xsk_init in net/xdp), then the device initcalls in link order
// (inet6_init, packet_init, vsock_init). It matters only for the
// sock_register calls a boot trace shows.
#pragma once

#include <sockmodel/config.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>
#include <sockmodel/net/ipv6/af_inet6.hpp>
#include <sockmodel/net/netlink/af_netlink.hpp>
#include <sockmodel/net/packet/af_packet.hpp>
#include <sockmodel/net/unix/af_unix.hpp>
#include <sockmodel/net/vmw_vsock/af_vsock.hpp>
#include <sockmodel/net/xdp/xsk.hpp>

namespace sockmodel {

struct default_families
    : family_list<netlink_family, inet_family, unix_family, xsk_family, inet6_family, packet_family, vsock_family> {
    using list =
        family_list<netlink_family, inet_family, unix_family, xsk_family, inet6_family, packet_family, vsock_family>;
};

}  // namespace sockmodel
