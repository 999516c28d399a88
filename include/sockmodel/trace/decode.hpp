// Arguments decoded as strace prints them: AF_INET, SOCK_STREAM|SOCK_CLOEXEC,
// IPPROTO_TCP, O_RDWR|O_NONBLOCK, with the numbers strace shows for the rest.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/uapi/in.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace sockmodel::trace {

inline std::string hex(long v)
{
    char buf[32];
    if (v < 0)
        std::snprintf(buf, sizeof buf, "-%#lx", static_cast<unsigned long>(-(v + 1)) + 1);
    else
        std::snprintf(buf, sizeof buf, "%#lx", static_cast<unsigned long>(v));
    return buf;
}

inline std::string decode_family(int family)
{
    if (family >= 0 && family < family_names_count)
        return family_names[family];
    return hex(static_cast<unsigned>(family)) + " /* AF_??? */";
}

// sock_type names for an ABI: the base type's name, or a number.
template <arch::socket_abi A>
constexpr std::string_view sock_type_name(int base)
{
    if (base == A::sock_stream) return "SOCK_STREAM";
    if (base == A::sock_dgram) return "SOCK_DGRAM";
    if (base == A::sock_raw) return "SOCK_RAW";
    if (base == A::sock_rdm) return "SOCK_RDM";
    if (base == A::sock_seqpacket) return "SOCK_SEQPACKET";
    if (base == A::sock_dccp) return "SOCK_DCCP";
    if (base == A::sock_packet) return "SOCK_PACKET";
    return {};
}

template <arch::socket_abi A>
std::string decode_type(int type)
{
    const int base = type & A::sock_type_mask;
    std::string out(sock_type_name<A>(base));
    if (out.empty())
        out = hex(base) + " /* SOCK_??? */";
    unsigned rest = static_cast<unsigned>(type) & ~static_cast<unsigned>(A::sock_type_mask);
    if (rest & static_cast<unsigned>(A::sock_cloexec)) {
        out += "|SOCK_CLOEXEC";
        rest &= ~static_cast<unsigned>(A::sock_cloexec);
    }
    if (rest & static_cast<unsigned>(A::sock_nonblock)) {
        out += "|SOCK_NONBLOCK";
        rest &= ~static_cast<unsigned>(A::sock_nonblock);
    }
    if (rest)
        out += "|" + hex(static_cast<long>(rest));
    return out;
}

inline std::string decode_protocol(int family, int protocol)
{
    if (family == af_inet || family == af_inet6) {
        switch (protocol) {
        case ipproto_ip: return "IPPROTO_IP";
        case ipproto_icmp: return "IPPROTO_ICMP";
        case ipproto_tcp: return "IPPROTO_TCP";
        case ipproto_udp: return "IPPROTO_UDP";
        case ipproto_ipv6: return "IPPROTO_IPV6";
        case ipproto_icmpv6: return "IPPROTO_ICMPV6";
        case ipproto_sctp: return "IPPROTO_SCTP";
        case ipproto_udplite: return "IPPROTO_UDPLITE";
        case ipproto_raw: return "IPPROTO_RAW";
        case ipproto_smc: return "IPPROTO_SMC";
        case ipproto_mptcp: return "IPPROTO_MPTCP";
        default: break;
        }
    }
    if (family == af_packet && protocol == 0x0300)
        return "htons(ETH_P_ALL)";
    return std::to_string(protocol);
}

template <arch::socket_abi A>
std::string decode_socket_args(int family, int type, int protocol)
{
    return decode_family(family) + ", " + decode_type<A>(type) + ", " + decode_protocol(family, protocol);
}

template <arch::socket_abi A>
std::string decode_open_flags(int flags)
{
    std::string out;
    auto add = [&](std::string_view s) {
        if (!out.empty())
            out += '|';
        out += s;
    };
    if ((flags & 3) == A::o_rdwr)
        add("O_RDWR");
    if (flags & A::o_nonblock)
        add("O_NONBLOCK");
    if (flags & A::o_cloexec)
        add("O_CLOEXEC");
    const int rest = flags & ~(3 | A::o_nonblock | A::o_cloexec);
    if (rest)
        add(hex(rest));
    return out.empty() ? std::string("0") : out;
}

}  // namespace sockmodel::trace
