// Alpha's O_NONBLOCK is 04, inside SOCK_TYPE_MASK, so arch/alpha/include/asm/socket.h
// gives SOCK_NONBLOCK its own bit and __sys_socket translates it back.
#pragma once

#include <sockmodel/arch/abi.hpp>

namespace sockmodel::arch {

struct alpha : common_abi {
    static constexpr std::string_view name = "alpha";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 00004;
    static constexpr int o_cloexec = 010000000;
    static constexpr int sock_nonblock = 0x40000000;
    static constexpr int sock_cloexec = o_cloexec;
    // arch/alpha/include/uapi/asm/socket.h, resource.h
    static constexpr int sol_socket = 0xffff;
    static constexpr int so_type = 0x1008;
    static constexpr int so_protocol = 0x1028;
    static constexpr int so_domain = 0x1029;
    static constexpr int rlimit_nofile = 6;
};
static_assert(checked_abi<alpha>::value);

}  // namespace sockmodel::arch
