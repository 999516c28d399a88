// Arguments decoded as strace prints them: AF_INET, SOCK_STREAM|SOCK_CLOEXEC,
// IPPROTO_TCP, O_RDWR|O_NONBLOCK, with the numbers strace shows for the rest.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/socket.hpp>

#include <bit>
#include <cstdio>
#include <span>
#include <string_view>

namespace sockmodel::trace {

inline kstring hex(long v)
{
    char buf[32];
    if (v < 0)
        std::snprintf(buf, sizeof buf, "-%#lx", static_cast<unsigned long>(-(v + 1)) + 1);
    else
        std::snprintf(buf, sizeof buf, "%#lx", static_cast<unsigned long>(v));
    return buf;
}

inline kstring decode_family(int family)
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

// The value of `name` in the table: true and *value set, or false. (A tool
// that parses names has trace::value_of in <sockmodel/trace/render.hpp>.)
constexpr bool lookup_value(std::span<const name_value> table, std::string_view name, int* value)
{
    for (const auto& e : table)
        if (e.name == name) {
            *value = e.value;
            return true;
        }
    return false;
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

// include/uapi/linux/if_ether.h: the ethertypes an AF_PACKET protocol is
// named by, in host order; socket() takes them as htons(ETH_P_ALL) etc.

// include/uapi/linux/netlink.h: the protocols of AF_NETLINK, as strace names
// them. 17 has no name (the header leaves room for NETLINK_DM). The alias
// NETLINK_INET_DIAG comes after NETLINK_SOCK_DIAG: it parses, but 4 prints as
// NETLINK_SOCK_DIAG, the first name for the value.

template <arch::socket_abi A>
constexpr std::string_view sock_type_name(int base)
{
    return name_of(sock_type_names<A>, base);
}

template <arch::socket_abi A>
kstring decode_type(int type)
{
    // As strace prints it: a named base type, then "|" and the rest as flags;
    // an unnamed base type leaves the whole value to the flags. The flags are
    // the named ones joined by "|", then what is left as unsigned hex; with no
    // named flag that hex carries "/* SOCK_??? */"; nothing at all is "0".
    // A negative type is its 32-bit pattern: -1 prints as
    // SOCK_CLOEXEC|SOCK_NONBLOCK|0xfff7f7ff (strace 6.1 on this host).
    const auto u = static_cast<unsigned>(type);
    kstring out;
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

// A protocol number as the family that owns it names it (its static
// protocol_name(int), e.g. "IPPROTO_TCP", "NETLINK_ROUTE", "htons(ETH_P_ALL)"),
// or the number. List: the configured families, a family_list<F...>.
template <template <class...> class List, class... F>
kstring decode_protocol_in(const List<F...>*, int family, int protocol)
{
    kstring name;
    (void)((F::family == family && [&] {
                if constexpr (requires { F::protocol_name(protocol); })
                    name = kstring(F::protocol_name(protocol));
                return true;
            }()) ||
           ...);
    return name.empty() ? to_kstring(protocol) : name;
}
template <class Families>
kstring decode_protocol(int family, int protocol)
{
    return decode_protocol_in(static_cast<const Families*>(nullptr), family, protocol);
}

template <arch::socket_abi A, class Families>
kstring decode_socket_args(int family, int type, int protocol)
{
    return decode_family(family) + ", " + decode_type<A>(type) + ", " + decode_protocol<Families>(family, protocol);
}

template <arch::socket_abi A>
kstring decode_open_flags(int flags)
{
    kstring out;
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
    return out.empty() ? kstring("0") : out;
}

}  // namespace sockmodel::trace
