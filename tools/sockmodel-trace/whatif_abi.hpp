// --what-if abi=ARCH: a traced call's arguments, made with this machine's
// numbers, as the same program built for ARCH passes them, and ARCH's
// answer back in this machine's numbers.
//
// The translation is symbolic. The type's low four bits (SOCK_TYPE_MASK)
// that name one of the host's SOCK_* types become ARCH's number for that
// type (mips swaps SOCK_STREAM and SOCK_DGRAM); SOCK_CLOEXEC and
// SOCK_NONBLOCK become ARCH's bits (arch/*/include/asm/socket.h, uapi
// fcntl.h). Any other bit is taken to be a literal of the program's source
// and is passed as it is: 0x80, invalid here, is SOCK_NONBLOCK on mips.
// Families and protocols are the same numbers on every ABI (AF_*, IPPROTO_*,
// NETLINK_*, ETH_P_*) and are passed as they are. Back: F_GETFL's O_NONBLOCK
// bit and SO_TYPE's type; errnos keep their names (the model returns the
// host's numbers), ARCH's numbers come from abi_errno_number.
#pragma once

#include <sockmodel/arch/host.hpp>

#include <string_view>

namespace sockmodel_trace {

namespace abi_detail {
template <class A>
struct type_pair {
    int host, abi;
};
template <class A>
constexpr type_pair<A> types[] = {
    {sockmodel::arch::host::sock_stream, A::sock_stream},       {sockmodel::arch::host::sock_dgram, A::sock_dgram},
    {sockmodel::arch::host::sock_raw, A::sock_raw},             {sockmodel::arch::host::sock_rdm, A::sock_rdm},
    {sockmodel::arch::host::sock_seqpacket, A::sock_seqpacket}, {sockmodel::arch::host::sock_dccp, A::sock_dccp},
    {sockmodel::arch::host::sock_packet, A::sock_packet},
};
}  // namespace abi_detail

// A socket() type argument in the host's numbers → ARCH's.
template <class A>
constexpr int type_to_abi(int type)
{
    using H = sockmodel::arch::host;
    const unsigned mask = static_cast<unsigned>(H::sock_type_mask);
    const unsigned in = static_cast<unsigned>(type);
    unsigned t = in & mask;
    for (const auto& p : abi_detail::types<A>)
        if (t == static_cast<unsigned>(p.host)) {
            t = static_cast<unsigned>(p.abi);
            break;
        }
    unsigned rest = in & ~mask, flags = 0;
    if (rest & static_cast<unsigned>(H::sock_cloexec)) {
        rest &= ~static_cast<unsigned>(H::sock_cloexec);
        flags |= static_cast<unsigned>(A::sock_cloexec);
    }
    if (rest & static_cast<unsigned>(H::sock_nonblock)) {
        rest &= ~static_cast<unsigned>(H::sock_nonblock);
        flags |= static_cast<unsigned>(A::sock_nonblock);
    }
    return static_cast<int>(t | flags | rest);
}

// SO_TYPE in ARCH's numbers → the host's.
template <class A>
constexpr int so_type_from_abi(int type)
{
    for (const auto& p : abi_detail::types<A>)
        if (type == p.abi)
            return p.host;
    return type;
}

// F_GETFL in ARCH's numbers → the host's (O_RDWR is 02 on every ABI;
// O_NONBLOCK is the one bit a socket's file flags hold that moves).
template <class A>
constexpr int fl_from_abi(int fl)
{
    using H = sockmodel::arch::host;
    unsigned u = static_cast<unsigned>(fl);
    if (u & static_cast<unsigned>(A::o_nonblock))
        u = (u & ~static_cast<unsigned>(A::o_nonblock)) | static_cast<unsigned>(H::o_nonblock);
    return static_cast<int>(u);
}

// The number ARCH gives the errno `err` (a host errno, either sign) has, by
// its name (arch/*/include/uapi/asm/errno.h); -1 for one the table lacks.
int abi_errno_number(std::string_view abi, int err);

}  // namespace sockmodel_trace
