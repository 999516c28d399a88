// arch/mips/include/asm/socket.h sets ARCH_HAS_SOCKET_TYPES and swaps STREAM
// and DGRAM "for binary compat"; O_NONBLOCK is 0x80 in its uapi fcntl.h.
#pragma once

#include <sockmodel/arch/abi.hpp>

namespace sockmodel::arch {

struct mips : common_abi {
    static constexpr std::string_view name = "mips";
    static constexpr int sock_stream = 2;
    static constexpr int sock_dgram = 1;
    static constexpr int o_nonblock = 0x0080;
    static constexpr int o_cloexec = 02000000;
    static constexpr int sock_nonblock = o_nonblock;
    static constexpr int sock_cloexec = o_cloexec;
    // arch/mips/include/uapi/asm/socket.h, resource.h
    static constexpr int sol_socket = 0xffff;
    static constexpr int so_type = 0x1008;
    static constexpr int so_protocol = 0x1028;
    static constexpr int so_domain = 0x1029;
    static constexpr int rlimit_nofile = 5;
};
static_assert(checked_abi<mips>::value);

}  // namespace sockmodel::arch
