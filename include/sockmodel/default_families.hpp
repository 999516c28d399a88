// The families a configuration gets when it names none: those this host's
// kernel has that the model covers, in the kernel's registration order.
#pragma once

#include <sockmodel/config.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>
#include <sockmodel/net/unix/af_unix.hpp>

namespace sockmodel {

struct default_families : family_list<unix_family, inet_family> {
    using list = family_list<unix_family, inet_family>;
};

}  // namespace sockmodel
