// arch/sparc/include/uapi/asm/fcntl.h: O_NONBLOCK 0x4000, O_CLOEXEC 0x400000,
// both clear of SOCK_TYPE_MASK, so SOCK_* flags equal the O_* ones.
#pragma once

#include <sockmodel/arch/abi.hpp>

namespace sockmodel::arch {

struct sparc : common_abi {
    static constexpr std::string_view name = "sparc";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 0x4000;
    static constexpr int o_cloexec = 0x400000;
    static constexpr int sock_nonblock = o_nonblock;
    static constexpr int sock_cloexec = o_cloexec;
    // arch/sparc/include/uapi/asm/socket.h, resource.h
    static constexpr int sol_socket = 0xffff;
    static constexpr int so_type = 0x1008;
    static constexpr int so_protocol = 0x1028;
    static constexpr int so_domain = 0x1029;
    static constexpr int rlimit_nofile = 6;
};
static_assert(checked_abi<sparc>::value);

}  // namespace sockmodel::arch
