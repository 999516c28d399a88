// AF_NETLINK (net/netlink/af_netlink.c): netlink_create, __netlink_create,
// netlink_release, netlink_ops, netlink_proto, and nl_table's
// `registered` flags, which are kernel state: a protocol can be created by
// user space only once a kernel socket for it exists
// (netlink_kernel_create), and that happens at run time too.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/net/core/sock.hpp>
#include <sockmodel/net/family.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>

#include <array>
#include <cstdint>

namespace sockmodel {

// The NETLINK_* names AF_NETLINK prints (sockmodel-trace, the trace notes).
inline constexpr trace::name_value netlink_protocol_names[] = {
    {"NETLINK_ROUTE", 0}, {"NETLINK_UNUSED", 1}, {"NETLINK_USERSOCK", 2}, {"NETLINK_FIREWALL", 3},
    {"NETLINK_SOCK_DIAG", 4}, {"NETLINK_NFLOG", 5}, {"NETLINK_XFRM", 6}, {"NETLINK_SELINUX", 7},
    {"NETLINK_ISCSI", 8}, {"NETLINK_AUDIT", 9}, {"NETLINK_FIB_LOOKUP", 10}, {"NETLINK_CONNECTOR", 11},
    {"NETLINK_NETFILTER", 12}, {"NETLINK_IP6_FW", 13}, {"NETLINK_DNRTMSG", 14},
    {"NETLINK_KOBJECT_UEVENT", 15}, {"NETLINK_GENERIC", 16}, {"NETLINK_SCSITRANSPORT", 18},
    {"NETLINK_ECRYPTFS", 19}, {"NETLINK_RDMA", 20}, {"NETLINK_CRYPTO", 21}, {"NETLINK_SMC", 22},
    {"NETLINK_INET_DIAG", 4},
};

// Fault points (fault/fault.hpp) of this file's functions.
namespace fault_point {
inline constexpr fault_point_info netlink_module_get{.name = "netlink_module_get", .fn = "netlink_create", .what = "try_module_get(nl_table[protocol].module) fails", .err = -EPROTONOSUPPORT};
}  // namespace fault_point

inline constexpr int max_links = 32;  // MAX_LINKS (include/uapi/linux/netlink.h)

// include/uapi/linux/netlink.h's NETLINK_* numbers, in lower case: that
// header defines the upper-case names as macros.
enum netlink_protocol : int {
    netlink_route = 0, netlink_unused = 1, netlink_usersock = 2, netlink_firewall = 3, netlink_sock_diag = 4,
    netlink_nflog = 5, netlink_xfrm = 6, netlink_selinux = 7, netlink_iscsi = 8, netlink_audit = 9,
    netlink_fib_lookup = 10, netlink_connector = 11, netlink_netfilter = 12, netlink_ip6_fw = 13,
    netlink_dnrtmsg = 14, netlink_kobject_uevent = 15, netlink_generic = 16, netlink_scsitransport = 18,
    netlink_ecryptfs = 19, netlink_rdma = 20, netlink_crypto = 21, netlink_smc = 22,
};

struct netlink_sock : sock {
    unsigned portid = 0;
    const module* mod = nullptr;  // nlk->module: nl_table[protocol].module, held
    bool bound = false;
};

inline netlink_sock& nlk_sk(sock& sk) { return static_cast<netlink_sock&>(sk); }

// The protocols this host's kernel has registered (measured: socket()
// succeeds for exactly these, as root, as nobody and in a fresh netns).
inline constexpr int netlink_host_protocols[] = {
    netlink_route,      netlink_usersock,   netlink_sock_diag, netlink_xfrm,
    netlink_selinux,    netlink_audit,      netlink_fib_lookup, netlink_connector,
    netlink_netfilter,  netlink_kobject_uevent, netlink_generic,
};

// The boot-time registration table's rules (nl_table has MAX_LINKS slots;
// netlink_kernel_create refuses a unit outside them).
template <const auto& Protocols>
constexpr bool netlink_table_fits()
{
    if (std::size(Protocols) > static_cast<std::size_t>(max_links))
        return false;
    for (int p : Protocols)
        if (p < 0 || p >= max_links)
            return false;
    return true;
}

template <const auto& Protocols>
struct checked_netlink_table {
    static_assert(std::size(Protocols) <= static_cast<std::size_t>(max_links),
                  "netlink protocol table larger than MAX_LINKS (net/netlink/af_netlink.c: nl_table has MAX_LINKS "
                  "slots): list at most 32 protocols");
    static_assert(netlink_table_fits<Protocols>(),
                  "netlink protocol outside 0..MAX_LINKS-1 (net/netlink/af_netlink.c, __netlink_kernel_create "
                  "refuses it): register only units below MAX_LINKS (32)");
    static constexpr bool value = true;
};

template <class K>
void netlink_sock_destruct(context<K>& cx, sock&)
{
    auto t = trace::enter(cx, "netlink_sock_destruct");
}

// netlink_release: unhashed (not bound), orphaned, the protocol's module
// put, the in-use count lowered; the last reference goes after an RCU grace
// period (deferred_put_nlk_sk).
template <class K>
int netlink_release(context<K>& cx, socket& sock)
{
    auto t = trace::enter(cx, "netlink_release");
    struct sock* sk = sock.sk;
    if (!sk)
        return t.ret(0);
    netlink_sock& nlk = nlk_sk(*sk);
    sock_orphan(*sk);
    sock.sk = nullptr;
    module_put(cx.k, nlk.mod);
    sock_prot_inuse_add(cx, *sk->sk_net, *sk, -1);
    SOCKMODEL_TRACE_NOTE(cx, "netlink_release", [] { return kstring("call_rcu(deferred_put_nlk_sk)"); });
    sock_put(cx, *sk);
    return t.ret(0);
}

template <class K>
inline constexpr proto netlink_proto{
    .name = "NETLINK",
    .obj = proto_object<netlink_sock>{},
    .close = &kernel_fn<K, &sk_prot_no_close<K>>::call,
};

// af_netlink.c is always built in: THIS_MODULE is NULL.
template <class K>
inline constexpr proto_ops netlink_ops{
    .family = af_netlink,
    .name = "netlink_ops",
    .release = &kernel_fn<K, &netlink_release<K>>::call,
    .bind = {"netlink_bind"},
    .connect = {"netlink_connect"},
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"netlink_getname"},
    .poll = {"datagram_poll"},
    .ioctl = {"netlink_ioctl"},
    .listen = sock_no_listen,
    .shutdown = sock_no_shutdown,
    .setsockopt = {"netlink_setsockopt"},
    .getsockopt = {"netlink_getsockopt"},
    .sendmsg = {"netlink_sendmsg"},
    .recvmsg = {"netlink_recvmsg"},
    .mmap = sock_no_mmap,
};

struct netlink_protosw {
    const proto& prot;
    const proto_ops& ops;
};

template <class K>
struct netlink_protosw_table {
    static constexpr std::array<netlink_protosw, 1> entries{{{.prot = netlink_proto<K>, .ops = netlink_ops<K>}}};
};

// __netlink_create: the ops, the sock, sk_protocol.
template <class K>
int __netlink_create(context<K>& cx, net& n, socket& sock, const proto& prot, int protocol, int kern)
{
    auto t = trace::enter(cx, "__netlink_create");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return to_kstring(protocol); });
    sock.ops = &netlink_ops<K>;
    struct sock* sk = sk_alloc(cx, n, af_netlink, prot, kern);
    if (!sk)
        return t.ret(-ENOMEM);
    sock_init_data(cx, &sock, *sk);
    sk->sk_destruct = &kernel_fn<K, &netlink_sock_destruct<K>>::call;
    sk->sk_protocol = protocol;
    return t.ret(0);
}

// netlink_create over the protocols registered at boot: this host's by
// default, or a table of the configuration's own.
template <const auto& Protocols = netlink_host_protocols>
struct netlink_family_t {
    // The family's own fault points (the path's are every kernel's).
    using fault_points = fault::point_list<&fault_point::netlink_module_get>;
    static_assert(checked_netlink_table<Protocols>::value);
    static constexpr int family = af_netlink;
    // The names sockmodel-trace and the notes print for a protocol number.
    static constexpr std::string_view protocol_name(int protocol)
    {
        return trace::name_of(netlink_protocol_names, protocol);
    }
    static constexpr const module* owner = nullptr;
    static constexpr std::string_view create_name = "netlink_create";

    template <class K>
    using protosw = netlink_protosw_table<K>;

    // nl_table[].registered, which netlink_create reads: a count per
    // protocol (each kernel socket of the protocol adds one;
    // netlink_add_usersock_entry registers USERSOCK at boot). Global, not per
    // netns: a protocol whose kernel socket lives only in the initial netns
    // can be created in any netns. Starts as this host's.
    struct state {
        std::array<int, max_links> count{};
        rwlock_t nl_table_lock;  // netlink_lock_table (read) / netlink_table_grab (write)

        constexpr state()
        {
            for (int p : Protocols)
                if (p >= 0 && p < max_links)
                    count[static_cast<std::size_t>(p)] = 1;
        }

        constexpr bool is_registered(int unit) const
        {
            return unit >= 0 && unit < max_links && count[static_cast<std::size_t>(unit)] > 0;
        }

        // create_context::registered: bit p for each registered protocol p.
        constexpr std::uint64_t registered() const
        {
            std::uint64_t bits = 0;
            for (int p = 0; p < max_links; ++p)
                if (is_registered(p))
                    bits |= std::uint64_t{1} << p;
            return bits;
        }

        // __netlink_kernel_create's registration of `unit` (a kernel socket
        // for the protocol), and netlink_kernel_release's undoing of it.
        int netlink_kernel_create(int unit)
        {
            if (unit < 0 || unit >= max_links)
                return -EINVAL;
            ++count[static_cast<std::size_t>(unit)];
            return 0;
        }
        void netlink_kernel_release(int unit)
        {
            if (is_registered(unit))
                --count[static_cast<std::size_t>(unit)];
        }
    };

    // netlink_create reads nl_table[].registered between netlink_lock_table
    // and netlink_unlock_table (nl_table_lock taken for reading); the
    // registrations change under netlink_table_grab
    // (netlink_kernel_create/netlink_kernel_release below, for a kernel).
    template <class K>
    static std::uint64_t registered(context<K>& cx)
    {
        auto& s = cx.k.template family_state<netlink_family_t>();
        auto netlink_lock_table = read_guard(cx, s.nl_table_lock);
        return s.registered();
    }

    enum step : int { bad_type = 1, protocol_range, not_registered, chosen };

    template <class K>
    static kstring describe(int type, int protocol, int kern)
    {
        return trace::decode_type<typename K::abi>(type) + ", " + trace::decode_protocol<family_list<netlink_family_t>>(af_netlink, protocol) +
               ", kern=" + to_kstring(kern);
    }

    // netlink_create's checks: the type, the protocol's range, then whether
    // the protocol is registered (request_module finds nothing to load).
    // No capability check at create.
    template <class K>
    static constexpr create_choice choose(const create_context& cx, int type, int protocol)
    {
        using abi = typename K::abi;
        if (type != abi::sock_raw && type != abi::sock_dgram)
            return create_choice::fail(-ESOCKTNOSUPPORT, bad_type);
        if (protocol < 0 || protocol >= max_links)
            return create_choice::fail(-EPROTONOSUPPORT, protocol_range);
        if (!((cx.registered >> protocol) & 1U))
            return create_choice::fail(-EPROTONOSUPPORT, not_registered);
        const auto& e = protosw<K>::entries[0];
        return {0, chosen, &e.ops, &e.prot, type, protocol, af_netlink};
    }

    template <class K>
    static void explain(context<K>& cx, const create_choice& c, int, int protocol)
    {
        if (c.step == protocol_range) {
            SOCKMODEL_TRACE_NOTE(cx, "netlink_create", [] { return kstring("protocol outside 0..MAX_LINKS-1"); });
        } else if (c.step == not_registered) {
            SOCKMODEL_TRACE_NOTE(cx, "netlink_create", [&] {
                return "nl_table[" + to_kstring(protocol) + "] not registered; request_module finds no module";
            });
        }
    }

    template <class K>
    static int construct(context<K>& cx, net& n, socket& sock, const create_choice& c, int kern)
    {
        sock.state = SS_UNCONNECTED;
        const module* mod = nullptr;  // nl_table[protocol].module: the built-in kernel sockets have none
        if (should_fail<&fault_point::netlink_module_get>(cx) || !try_module_get(cx.k, mod))
            return -EPROTONOSUPPORT;
        if (int err = __netlink_create(cx, n, sock, *c.prot, c.protocol, kern)) {
            SOCKMODEL_TRACE_NOTE(cx, "netlink_create", [] { return kstring("module_put(module); goto out"); });
            module_put(cx.k, mod);
            return err;
        }
        sock_prot_inuse_add(cx, n, *sock.sk, 1);
        nlk_sk(*sock.sk).mod = mod;
        return 0;
    }
};

using netlink_family = netlink_family_t<>;

// __netlink_kernel_create's registration of `unit` in kernel `k`, and
// netlink_kernel_release's undoing of it: what a subsystem does when it makes
// (or drops) its kernel socket. Under lock::smp between netlink_table_grab
// and netlink_table_ungrab (nl_table_lock for writing), against the
// netlink_create calls reading nl_table; F is the kernel's netlink family.
template <class F = netlink_family, class K>
int netlink_kernel_create(K& k, int unit)
{
    auto& s = k.template family_state<F>();
    auto netlink_table_grab = guard(k, s.nl_table_lock);
    return s.netlink_kernel_create(unit);
}
template <class F = netlink_family, class K>
void netlink_kernel_release(K& k, int unit)
{
    auto& s = k.template family_state<F>();
    auto netlink_table_grab = guard(k, s.nl_table_lock);
    s.netlink_kernel_release(unit);
}

}  // namespace sockmodel
