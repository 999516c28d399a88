// Arguments decoded as strace prints them: AF_INET, SOCK_STREAM|SOCK_CLOEXEC,
// IPPROTO_TCP, O_RDWR|O_NONBLOCK, with the numbers strace shows for the rest.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/linux/socket.hpp>

#include <bit>
#include <cstdio>
#include <optional>
#include <span>
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

// One table per kind of name, read both ways: by decode_* here and by
// sockmodel-trace when it parses a command line.
struct name_value {
    std::string_view name;
    int value;
};

constexpr std::string_view name_of(std::span<const name_value> table, int value)
{
    for (const auto& e : table)
        if (e.value == value)
            return e.name;
    return {};
}

constexpr std::optional<int> value_of(std::span<const name_value> table, std::string_view name)
{
    for (const auto& e : table)
        if (e.name == name)
            return e.value;
    return std::nullopt;
}

template <arch::socket_abi A>
inline constexpr name_value sock_type_names[] = {
    {"SOCK_STREAM", A::sock_stream}, {"SOCK_DGRAM", A::sock_dgram}, {"SOCK_RAW", A::sock_raw},
    {"SOCK_RDM", A::sock_rdm}, {"SOCK_SEQPACKET", A::sock_seqpacket}, {"SOCK_DCCP", A::sock_dccp},
    {"SOCK_PACKET", A::sock_packet},
};

template <arch::socket_abi A>
inline constexpr name_value sock_flag_names[] = {
    {"SOCK_CLOEXEC", A::sock_cloexec}, {"SOCK_NONBLOCK", A::sock_nonblock},
};

// include/uapi/linux/in.h
inline constexpr name_value ipproto_names[] = {
    {"IPPROTO_IP", 0}, {"IPPROTO_ICMP", 1}, {"IPPROTO_IGMP", 2}, {"IPPROTO_IPIP", 4},
    {"IPPROTO_TCP", 6}, {"IPPROTO_EGP", 8}, {"IPPROTO_PUP", 12}, {"IPPROTO_UDP", 17},
    {"IPPROTO_IDP", 22}, {"IPPROTO_TP", 29}, {"IPPROTO_DCCP", 33}, {"IPPROTO_IPV6", 41},
    {"IPPROTO_RSVP", 46}, {"IPPROTO_GRE", 47}, {"IPPROTO_ESP", 50}, {"IPPROTO_AH", 51},
    {"IPPROTO_ICMPV6", 58}, {"IPPROTO_MTP", 92}, {"IPPROTO_BEETPH", 94}, {"IPPROTO_ENCAP", 98},
    {"IPPROTO_PIM", 103}, {"IPPROTO_COMP", 108}, {"IPPROTO_L2TP", 115}, {"IPPROTO_SCTP", 132},
    {"IPPROTO_UDPLITE", 136}, {"IPPROTO_MPLS", 137}, {"IPPROTO_ETHERNET", 143},
    {"IPPROTO_AGGFRAG", 144}, {"IPPROTO_RAW", 255}, {"IPPROTO_SMC", 256}, {"IPPROTO_MPTCP", 262},
};

// include/uapi/linux/if_ether.h: the ethertypes an AF_PACKET protocol is
// named by, in host order; socket() takes them as htons(ETH_P_ALL) etc.
inline constexpr name_value ethertype_names[] = {
    {"ETH_P_ALL", 0x0003}, {"ETH_P_IP", 0x0800}, {"ETH_P_ARP", 0x0806},
    {"ETH_P_IPV6", 0x86DD}, {"ETH_P_8021Q", 0x8100},
};

// include/uapi/linux/netlink.h: the protocols of AF_NETLINK, as strace names
// them. 17 has no name (the header leaves room for NETLINK_DM). The alias
// NETLINK_INET_DIAG comes after NETLINK_SOCK_DIAG: it parses, but 4 prints as
// NETLINK_SOCK_DIAG, the first name for the value.
inline constexpr name_value netlink_protocol_names[] = {
    {"NETLINK_ROUTE", 0}, {"NETLINK_UNUSED", 1}, {"NETLINK_USERSOCK", 2}, {"NETLINK_FIREWALL", 3},
    {"NETLINK_SOCK_DIAG", 4}, {"NETLINK_NFLOG", 5}, {"NETLINK_XFRM", 6}, {"NETLINK_SELINUX", 7},
    {"NETLINK_ISCSI", 8}, {"NETLINK_AUDIT", 9}, {"NETLINK_FIB_LOOKUP", 10}, {"NETLINK_CONNECTOR", 11},
    {"NETLINK_NETFILTER", 12}, {"NETLINK_IP6_FW", 13}, {"NETLINK_DNRTMSG", 14},
    {"NETLINK_KOBJECT_UEVENT", 15}, {"NETLINK_GENERIC", 16}, {"NETLINK_SCSITRANSPORT", 18},
    {"NETLINK_ECRYPTFS", 19}, {"NETLINK_RDMA", 20}, {"NETLINK_CRYPTO", 21}, {"NETLINK_SMC", 22},
    {"NETLINK_INET_DIAG", 4},
};

template <arch::socket_abi A>
constexpr std::string_view sock_type_name(int base)
{
    return name_of(sock_type_names<A>, base);
}

template <arch::socket_abi A>
std::string decode_type(int type)
{
    // As strace prints it: a named base type, then "|" and the rest as flags;
    // an unnamed base type leaves the whole value to the flags. The flags are
    // the named ones joined by "|", then what is left as unsigned hex; with no
    // named flag that hex carries "/* SOCK_??? */"; nothing at all is "0".
    // A negative type is its 32-bit pattern: -1 prints as
    // SOCK_CLOEXEC|SOCK_NONBLOCK|0xfff7f7ff (strace 6.1 on this host).
    const auto u = static_cast<unsigned>(type);
    std::string out;
    unsigned rest = u;
    if (const std::string_view name = sock_type_name<A>(type & A::sock_type_mask); !name.empty()) {
        out = name;
        rest &= ~static_cast<unsigned>(A::sock_type_mask);
        if (rest == 0)
            return out;
        out += '|';
    }
    if (rest == 0)
        return out + "0";
    bool named = false;
    for (const auto& [flag, bit] : sock_flag_names<A>)
        if (rest & static_cast<unsigned>(bit)) {
            out += named ? "|" : "";
            out += flag;
            named = true;
            rest &= ~static_cast<unsigned>(bit);
        }
    if (rest) {
        out += (named ? "|" : "") + hex(static_cast<long>(rest));
        if (!named)
            out += " /* SOCK_??? */";
    }
    return out;
}

inline std::string decode_protocol(int family, int protocol)
{
    if (family == af_inet || family == af_inet6)
        if (const std::string_view name = name_of(ipproto_names, protocol); !name.empty())
            return std::string(name);
    if (family == af_netlink)
        if (const std::string_view name = name_of(netlink_protocol_names, protocol); !name.empty())
            return std::string(name);
    if (family == af_packet && protocol >= 0 && protocol <= 0xffff) {
        // The protocol is in network byte order: back to host order for the table.
        const auto be = static_cast<unsigned>(protocol);
        const int host_order = std::endian::native == std::endian::little
                             ? static_cast<int>(((be & 0xffU) << 8) | (be >> 8))
                             : protocol;
        if (const std::string_view name = name_of(ethertype_names, host_order); !name.empty())
            return "htons(" + std::string(name) + ")";
    }
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
