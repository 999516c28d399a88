// x86, arm64, riscv, s390, powerpc, loongarch, …: include/uapi/asm-generic/fcntl.h
// and the default sock_type of include/linux/net.h.
#pragma once

#include <sockmodel/arch/abi.hpp>

namespace sockmodel::arch {

struct generic : common_abi {
    static constexpr std::string_view name = "generic";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 00004000;
    static constexpr int o_cloexec = 02000000;
    static constexpr int sock_nonblock = o_nonblock;
    static constexpr int sock_cloexec = o_cloexec;
    // include/uapi/asm-generic/socket.h, asm-generic/resource.h
    static constexpr int sol_socket = 1;
    static constexpr int so_type = 3;
    static constexpr int so_protocol = 38;
    static constexpr int so_domain = 39;
    static constexpr int rlimit_nofile = 7;
};
static_assert(checked_abi<generic>::value);

}  // namespace sockmodel::arch
