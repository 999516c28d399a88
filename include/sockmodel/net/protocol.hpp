// struct inet_protosw (include/net/protocol.h) and the rules
// inet_register_protosw (net/ipv4/af_inet.c) enforces at boot, here enforced
// at compile time on a table type: `Table::entries`, an array of inet_protosw.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/linux/net.hpp>
#include <sockmodel/net/sock.hpp>
#include <sockmodel/uapi/in.hpp>

namespace sockmodel {

enum inet_protosw_flags : unsigned {
    INET_PROTOSW_REUSE = 0x01,      // the sock can reuse ports
    INET_PROTOSW_PERMANENT = 0x02,  // may not be removed or overridden
    INET_PROTOSW_ICSK = 0x04,       // an inet_connection_sock
};

// prot and ops are references: an entry without them cannot be written.
struct inet_protosw {
    int type;
    int protocol;  // 0 in the single wildcard entry of SOCK_RAW
    const proto& prot;
    const proto_ops& ops;
    unsigned flags = 0;
};

template <class A, class Table>
constexpr bool protosw_types_below_max()
{
    for (const auto& e : Table::entries)
        if (e.type < 0 || e.type >= A::sock_max)
            return false;
    return true;
}

// inet_create and inet6_create refuse a protocol outside 0..IPPROTO_MAX-1
// with -EINVAL before the lookup: an entry there could never be chosen.
template <class Table>
constexpr bool protosw_protocols_in_range()
{
    for (const auto& e : Table::entries)
        if (e.protocol < 0 || e.protocol >= ipproto_max)
            return false;
    return true;
}

template <class Table>
constexpr bool protosw_permanent_unique()
{
    const auto& t = Table::entries;
    for (std::size_t i = 0; i < t.size(); ++i)
        for (std::size_t j = i + 1; j < t.size(); ++j)
            if ((t[i].flags & INET_PROTOSW_PERMANENT) && (t[j].flags & INET_PROTOSW_PERMANENT) &&
                t[i].type == t[j].type && t[i].protocol == t[j].protocol)
                return false;
    return true;
}

template <class Table>
constexpr bool protosw_ops_complete()
{
    for (const auto& e : Table::entries)
        if (!proto_ops_complete(e.ops) || !proto_complete(e.prot))
            return false;
    return true;
}

// The same rules as a predicate, for tests of rejection as plain constants.
template <class A, class Table>
constexpr bool protosw_valid()
{
    return protosw_types_below_max<A, Table>() && protosw_protocols_in_range<Table>() &&
           protosw_permanent_unique<Table>() && protosw_ops_complete<Table>();
}

template <class A, class Table>
struct checked_protosw {
    static_assert(protosw_types_below_max<A, Table>(),
                  "inet_register_protosw: protosw type >= SOCK_MAX (net/ipv4/af_inet.c, \"Attempt to register "
                  "invalid socket type\"): use a type below the ABI's sock_max");
    static_assert(protosw_protocols_in_range<Table>(),
                  "inetsw entry protocol outside 0..IPPROTO_MAX-1 (net/ipv4/af_inet.c, inet_create answers -EINVAL "
                  "for such a protocol before its lookup, so the entry could never be chosen): use a protocol below "
                  "IPPROTO_MAX (263)");
    static_assert(protosw_permanent_unique<Table>(),
                  "inet_register_protosw: two permanent entries for one (type, protocol) (net/ipv4/af_inet.c, "
                  "\"Attempt to override permanent protocol\"): drop one or clear INET_PROTOSW_PERMANENT");
    static_assert(protosw_ops_complete<Table>(),
                  "inet_register_protosw: an entry's proto_ops or proto is incomplete (net/ipv4/af_inet.c; the "
                  "kernel calls them without NULL checks): fill every op, and give each proto a name, .obj and .close");
    static constexpr bool value = true;
};

// inet_create's walk of inetsw[type]: an exact non-zero match, a request for
// protocol 0 taking the first entry's protocol, or the wildcard entry (0)
// taking any non-zero protocol. Empty list: ESOCKTNOSUPPORT; no match: EPROTONOSUPPORT.
struct inet_lookup_result {
    int err;
    const inet_protosw* answer;
    int protocol;
};

template <class Table>
constexpr inet_lookup_result inet_lookup(int type, int protocol)
{
    int err = -ESOCKTNOSUPPORT;
    for (const auto& e : Table::entries) {
        if (e.type != type)
            continue;
        err = 0;
        if (protocol == e.protocol) {
            if (protocol != 0)
                return {0, &e, protocol};
        } else {
            if (protocol == 0)
                return {0, &e, e.protocol};
            if (e.protocol == 0)
                return {0, &e, protocol};
        }
        err = -EPROTONOSUPPORT;
    }
    return {err, nullptr, protocol};
}

}  // namespace sockmodel
