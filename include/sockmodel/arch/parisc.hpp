// parisc's O_NONBLOCK was 000200004 (overlapping SOCK_TYPE_MASK) until 5.10 made
// it 1<<16; the separate SOCK_NONBLOCK of arch/parisc/include/asm/socket.h stayed.
#pragma once

#include <sockmodel/arch/abi.hpp>

namespace sockmodel::arch {

struct parisc : common_abi {
    static constexpr std::string_view name = "parisc";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 1 << 16;
    static constexpr int o_cloexec = 1 << 21;
    static constexpr int sock_nonblock = 0x40000000;
    static constexpr int sock_cloexec = o_cloexec;
    // arch/parisc/include/uapi/asm/socket.h; asm-generic/resource.h
    static constexpr int sol_socket = 0xffff;
    static constexpr int so_type = 0x1008;
    static constexpr int so_protocol = 0x1028;
    static constexpr int so_domain = 0x1029;
    static constexpr int rlimit_nofile = 7;
};
static_assert(checked_abi<parisc>::value);

}  // namespace sockmodel::arch
