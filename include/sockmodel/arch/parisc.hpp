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
};
static_assert(socket_abi<parisc>);

}  // namespace sockmodel::arch
