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
};
static_assert(socket_abi<alpha>);

}  // namespace sockmodel::arch
