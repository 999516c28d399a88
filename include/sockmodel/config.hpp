// What a model kernel fixes at build time. Derive from default_config and
// override what differs:
//
//     struct traced : sockmodel::default_config { using tracer = sockmodel::trace::recorder; };
//     sockmodel::kernel<traced> k;
#pragma once

#include <sockmodel/arch/host.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>
#include <sockmodel/net/socket.hpp>
#include <sockmodel/net/unix/af_unix.hpp>
#include <sockmodel/security/security.hpp>
#include <sockmodel/trace/trace.hpp>

namespace sockmodel {

// The families registered at boot, in registration order.
template <class... F>
struct family_list {};

struct default_config {
    using abi = arch::host;
    using families = family_list<unix_family, inet_family>;
    using tracer = trace::none;
    using security = lsm::none;
    using update_socket_protocol = no_bpf_protocol_hook;
};

}  // namespace sockmodel
