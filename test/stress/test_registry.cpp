// Registration while sockets are being made, on one lock::smp kernel.
//
// Worker threads (two tasks of their own, two threads sharing a table) create
// and close AF_INET, AF_PACKET (with and without a receive hook), AF_NETLINK
// and AF_VSOCK sockets, and sockets of families the kernel had never seen when
// the run began, while:
//   - two registrar threads race to register those families for the first
//     time (register_family: proto_register under proto_list_mutex, new
//     modules under module_mutex, sock_register under net_family_lock), so
//     the proto and module tables grow under the readers' feet;
//   - one of those new families is unregistered and registered again, over
//     and over (sock_unregister waits for a grace period);
//   - a netlink protocol's kernel socket comes and goes
//     (netlink_kernel_create/netlink_kernel_release under netlink_table_grab),
//     another is registered for good mid-run;
//   - vsock's dgram transport is loaded and unloaded
//     (vsock_core_register/vsock_core_unregister under vsock_register_mutex).
//
// Every answer must be one the kernel can give at some point of the run
// (live kernel 6.18: socket(AF_VSOCK, SOCK_DGRAM, 0) is ENODEV without a dgram
// transport and succeeds with one; socket(AF_NETLINK, SOCK_RAW, unit) is
// EPROTONOSUPPORT while nl_table[unit] is unregistered; a family without a
// net_families entry is EAFNOSUPPORT), and one that follows from what was
// published before the call began (a family whose register_family returned
// before the call must be found). At the end every counter is back at its
// start, each new family's proto was registered once, and each new family was
// registered by exactly one of the two racing registrars (the other: EEXIST).
//
// Bounded by SOCKMODEL_STRESS_SECONDS (default 1); clean under the tsan preset.
#include <doctest/doctest.h>

#include <sockmodel/default_families.hpp>
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/kernel/smp.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>
#include <utility>
#include <vector>

// Outside an anonymous namespace: clang would call its variable templates unused.
namespace registry_stress {

using namespace sockmodel;

// A family the kernel has never seen, numbered Af, with a proto, an ops table
// and a family of its own, each owned by a module of its own (as a CAN
// protocol module, its ops and af_can.ko would be).
template <int Af>
inline constexpr module family_module{"fresh_family"};
template <int Af>
inline constexpr module proto_module{"fresh_proto"};
template <int Af>
inline constexpr module ops_module{"fresh_ops"};

struct fresh_sock : sock {
    int af = 0;
};

template <class Kern>
int fresh_release(context<Kern>& cx, sockmodel::socket& s)
{
    if (sock* sk = s.sk) {
        sock_prot_inuse_add(cx, *sk->sk_net, *sk, -1);
        sock_orphan(*sk);
        s.sk = nullptr;
        sock_put(cx, *sk);
    }
    return 0;
}

template <class Kern>
void fresh_close(context<Kern>& cx, sock& sk, long)
{
    sk_common_release(cx, sk);
}

template <class Kern, int Af>
inline constexpr proto fresh_proto{
    .name = "FRESH",
    .owner = &proto_module<Af>,
    .obj = proto_object<fresh_sock>{},
    .close = &kernel_fn<Kern, &fresh_close<Kern>>::call,
};

template <class Kern, int Af>
inline constexpr proto_ops fresh_ops{
    .family = Af,
    .owner = &ops_module<Af>,
    .name = "fresh_ops",
    .release = &kernel_fn<Kern, &fresh_release<Kern>>::call,
    .bind = sock_no_bind,
    .connect = sock_no_connect,
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = sock_no_getname,
    .poll = {"datagram_poll"},
    .ioctl = sock_no_ioctl,
    .listen = sock_no_listen,
    .shutdown = sock_no_shutdown,
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = sock_no_sendmsg,
    .recvmsg = sock_no_recvmsg,
    .mmap = sock_no_mmap,
};

struct fresh_entry {
    const proto& prot;
    const proto_ops& ops;
};

template <class Kern, int Af>
struct fresh_table {
    static constexpr std::array<fresh_entry, 1> entries{{{fresh_proto<Kern, Af>, fresh_ops<Kern, Af>}}};
};

// SOCK_DGRAM with protocol 0 only.
template <int Af>
struct fresh_family {
    static constexpr int family = Af;
    static constexpr const module* owner = &family_module<Af>;
    static constexpr std::string_view create_name = "fresh_create";
    template <class Kern>
    using protosw = fresh_table<Kern, Af>;

    template <class Kern>
    static constexpr create_choice choose(const create_context&, int type, int protocol)
    {
        if (type != Kern::abi::sock_dgram)
            return create_choice::fail(-ESOCKTNOSUPPORT, 1);
        if (protocol != 0)
            return create_choice::fail(-EPROTONOSUPPORT, 2);
        const fresh_entry& e = protosw<Kern>::entries[0];
        return {0, 3, &e.ops, &e.prot, type, 0, Af};
    }
    template <class Kern>
    static int construct(context<Kern>& cx, net& n, sockmodel::socket& s, const create_choice& c, int kern)
    {
        s.ops = c.ops;
        sock* sk = sk_alloc(cx, n, Af, *c.prot, kern);
        if (!sk)
            return -ENOBUFS;
        sock_init_data(cx, &s, *sk);
        static_cast<fresh_sock*>(sk)->af = Af;
        sock_prot_inuse_add(cx, n, *sk, 1);
        return 0;
    }
};

using K = kernel<config<opt::locking<lock::smp>>>;
using abi = K::abi;

// Family numbers no default family uses: AF_CAN first (the one that comes
// and goes), then others below AF_MAX.
inline constexpr std::array<int, 16> fresh_numbers{29, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 18, 19, 20};
inline constexpr int flapping = 29;

// k.register_family<fresh_family<fresh_numbers[i]>>(), for a run-time i.
template <std::size_t... I>
int register_fresh(K& k, std::size_t i, std::index_sequence<I...>)
{
    int r = 1;
    ((i == I ? (r = k.register_family<fresh_family<fresh_numbers[I]>>()) : 0), ...);
    return r;
}
inline int register_fresh(K& k, std::size_t i)
{
    return register_fresh(k, i, std::make_index_sequence<fresh_numbers.size()>{});
}

template <std::size_t... I>
const proto* fresh_proto_of(std::size_t i, std::index_sequence<I...>)
{
    const proto* p = nullptr;
    ((i == I ? (p = &fresh_proto<K, fresh_numbers[I]>, 0) : 0), ...);
    return p;
}
inline const proto* fresh_proto_of(std::size_t i)
{
    return fresh_proto_of(i, std::make_index_sequence<fresh_numbers.size()>{});
}

inline constexpr int eth_p_all_be = 0x0300;  // htons(ETH_P_ALL) on a little-endian host
inline constexpr int nl_toggled = netlink_firewall;  // not registered on this host: comes and goes
inline constexpr int nl_added = netlink_nflog;       // not registered on this host: registered once, mid-run

double stress_seconds()
{
    if (const char* s = std::getenv("SOCKMODEL_STRESS_SECONDS"))
        return std::atof(s);
    return 1.0;
}

}  // namespace registry_stress

using namespace registry_stress;

TEST_CASE("lock::smp: first-time registration of families, protos and modules, and the families' own "
          "configuration, while sockets are made")
{
    K k;
    const kernel_counters start = k.counters();
    const std::size_t protos_at_start = k.protos.all().size();
    const std::size_t modules_at_start = k.modules.entries().size();
    REQUIRE(k.family_state<vsock_family>().registered() == VSOCK_TRANSPORT_F_G2H);
    REQUIRE_FALSE(k.family_state<netlink_family>().is_registered(nl_toggled));
    REQUIRE_FALSE(k.family_state<netlink_family>().is_registered(nl_added));

    task_struct& leader = k.spawn();
    task_struct& thread1 = k.clone_thread(leader);
    task_struct& other1 = k.spawn();
    task_struct& other2 = k.spawn();

    std::atomic<bool> stop{false};
    // How many of fresh_numbers (in order) have had register_family return 0.
    std::atomic<std::size_t> registered_upto{0};
    std::atomic<bool> nl_added_done{false};
    std::atomic<long> errors{0}, ops{0};
    std::atomic<long> dgram_made{0}, dgram_enodev{0}, nl_made{0}, nl_refused{0}, fresh_made{0}, fresh_refused{0};

    auto fail = [&](const char* what, int got) {
        if (errors.fetch_add(1, std::memory_order_relaxed) < 10)
            std::printf("registry stress: %s answered %d\n", what, got);
    };
    auto close_ok = [&](task_struct& t, int fd) {
        if (fd >= 0 && k.close(t, fd) != 0)
            fail("close", -1);
    };

    auto worker = [&](task_struct& t, unsigned seed) {
        long n = 0;
        unsigned rnd = seed;
        while (!stop.load(std::memory_order_relaxed)) {
            rnd = rnd * 1103515245u + 12345u;
            // Families known from boot: always made.
            const int tcp = k.socket(t, af_inet, abi::sock_stream, 0);
            const int praw = k.socket(t, af_packet, abi::sock_raw, eth_p_all_be);  // registers a prot hook
            const int pdgram = k.socket(t, af_packet, abi::sock_dgram, 0);         // no hook
            const int route = k.socket(t, af_netlink, abi::sock_raw, netlink_route);
            const int vstream = k.socket(t, af_vsock, abi::sock_stream, 0);
            for (auto [fd, what] : {std::pair{tcp, "AF_INET/tcp"}, {praw, "AF_PACKET/raw"}, {pdgram, "AF_PACKET/dgram"},
                                    {route, "AF_NETLINK/route"}, {vstream, "AF_VSOCK/stream"}})
                if (fd < 0)
                    fail(what, fd);

            // What the registrars change.
            const int vdgram = k.socket(t, af_vsock, abi::sock_dgram, 0);
            if (vdgram >= 0)
                dgram_made.fetch_add(1, std::memory_order_relaxed);
            else if (vdgram == -ENODEV)
                dgram_enodev.fetch_add(1, std::memory_order_relaxed);
            else
                fail("AF_VSOCK/dgram", vdgram);

            const int fw = k.socket(t, af_netlink, abi::sock_raw, nl_toggled);
            if (fw >= 0)
                nl_made.fetch_add(1, std::memory_order_relaxed);
            else if (fw == -EPROTONOSUPPORT)
                nl_refused.fetch_add(1, std::memory_order_relaxed);
            else
                fail("AF_NETLINK/toggled", fw);

            const bool added = nl_added_done.load(std::memory_order_acquire);
            const int nflog = k.socket(t, af_netlink, abi::sock_dgram, nl_added);
            if (nflog < 0 && (added || nflog != -EPROTONOSUPPORT))
                fail("AF_NETLINK/added", nflog);

            const std::size_t upto = registered_upto.load(std::memory_order_acquire);
            const std::size_t i = (rnd >> 16) % fresh_numbers.size();
            const int af = fresh_numbers[i];
            const int fresh = k.socket(t, af, abi::sock_dgram, 0);
            if (fresh >= 0) {
                fresh_made.fetch_add(1, std::memory_order_relaxed);
            } else if (fresh == -EAFNOSUPPORT) {
                fresh_refused.fetch_add(1, std::memory_order_relaxed);
                if (i < upto && af != flapping)  // registered for good before this call began
                    fail("fresh family registered earlier", fresh);
            } else {
                fail("fresh family", fresh);
            }
            const int wrong_type = k.socket(t, af, abi::sock_stream, 0);
            if (wrong_type != -EAFNOSUPPORT && wrong_type != -ESOCKTNOSUPPORT)
                fail("fresh family, SOCK_STREAM", wrong_type);

            for (int fd : {fresh, nflog, fw, vdgram, vstream, route, pdgram, praw, tcp})
                close_ok(t, fd);
            n += 20;
        }
        ops.fetch_add(n, std::memory_order_relaxed);
    };

    // Two registrars race to register fresh_numbers[1..] for the first time;
    // per family exactly one must win (0), the other find it there (EEXIST).
    std::array<std::array<int, fresh_numbers.size()>, 2> results{};
    const auto period = std::chrono::duration<double>(stress_seconds() / (2.0 * fresh_numbers.size()));
    long flaps = 0, transport_flips = 0, nl_flips = 0;
    auto registrar = [&] {
        // AF_CAN first, then the others one by one, each published once registered.
        if (register_fresh(k, 0) != 0)
            fail("register_family<AF_CAN>", -1);
        registered_upto.store(1, std::memory_order_release);
        std::size_t next = 1;
        auto last = std::chrono::steady_clock::now();
        while (!stop.load(std::memory_order_relaxed)) {
            if (next < fresh_numbers.size() && std::chrono::steady_clock::now() - last >= period) {
                results[0][next] = register_fresh(k, next);
                registered_upto.store(next + 1, std::memory_order_release);  // ours or racer 1's: done either way
                ++next;
                last = std::chrono::steady_clock::now();
            }
            if (next == fresh_numbers.size() / 2 && !nl_added_done.load(std::memory_order_relaxed)) {
                if (netlink_kernel_create(k, nl_added) != 0)
                    fail("netlink_kernel_create(added)", -1);
                nl_added_done.store(true, std::memory_order_release);
            }
            k.sock_unregister(flapping);  // waits for a grace period
            if (k.sock_register(&family_ops<K, fresh_family<flapping>>) != 0)
                fail("sock_register(AF_CAN) again", -1);
            ++flaps;
            vsock_core_register(k, VSOCK_TRANSPORT_F_DGRAM);
            std::this_thread::yield();
            vsock_core_unregister(k, VSOCK_TRANSPORT_F_DGRAM);
            ++transport_flips;
            if (netlink_kernel_create(k, nl_toggled) != 0)
                fail("netlink_kernel_create(toggled)", -1);
            std::this_thread::yield();
            netlink_kernel_release(k, nl_toggled);
            ++nl_flips;
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        for (; next < fresh_numbers.size(); ++next)
            results[0][next] = register_fresh(k, next);
    };
    // The rival: the same families, at its own pace.
    auto rival = [&] {
        for (std::size_t i = 1; i < fresh_numbers.size(); ++i) {
            std::this_thread::sleep_for(period);
            results[1][i] = register_fresh(k, i);
        }
    };

    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    threads.emplace_back(worker, std::ref(leader), 1u);
    threads.emplace_back(worker, std::ref(thread1), 2u);
    threads.emplace_back(worker, std::ref(other1), 3u);
    threads.emplace_back(worker, std::ref(other2), 4u);
    threads.emplace_back(registrar);
    threads.emplace_back(rival);
    std::this_thread::sleep_for(std::chrono::duration<double>(stress_seconds()));
    stop = true;
    for (auto& th : threads)
        th.join();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("registry stress: %.2f s, %ld system calls in 4 threads; %ld AF_CAN re-registrations, %ld dgram "
                "transport and %ld netlink flips; AF_VSOCK/dgram %ld made, %ld ENODEV; netlink %ld made, %ld "
                "EPROTONOSUPPORT; fresh families %ld made, %ld EAFNOSUPPORT\n",
                secs, ops.load(), flaps, transport_flips, nl_flips, dgram_made.load(), dgram_enodev.load(),
                nl_made.load(), nl_refused.load(), fresh_made.load(), fresh_refused.load());

    CHECK(errors.load() == 0);
    CHECK(ops.load() > 0);
    CHECK(flaps > 0);
    CHECK(fresh_made.load() > 0);

    // Each fresh family: registered by exactly one of the two registrars.
    for (std::size_t i = 1; i < fresh_numbers.size(); ++i) {
        const std::multiset<int> got{results[0][i], results[1][i]};
        CHECK_MESSAGE((got == std::multiset<int>{0, -EEXIST}), "family ", fresh_numbers[i], ": ", results[0][i], ", ",
                      results[1][i]);
    }
    // Each fresh proto registered once, with an in-use index of its own, and
    // three new modules per family.
    CHECK(k.protos.all().size() == protos_at_start + fresh_numbers.size());
    std::set<int> idx;
    for (std::size_t i = 0; i < fresh_numbers.size(); ++i) {
        const proto_state* ps = k.protos.find(*fresh_proto_of(i));
        REQUIRE(ps != nullptr);
        idx.insert(ps->inuse_idx);
    }
    CHECK(idx.size() == fresh_numbers.size());
    CHECK(k.modules.entries().size() == modules_at_start + 3 * fresh_numbers.size());

    // The families' configuration as it was, and every counter at its start.
    CHECK(k.family_state<vsock_family>().registered() == VSOCK_TRANSPORT_F_G2H);
    CHECK_FALSE(k.family_state<netlink_family>().is_registered(nl_toggled));
    CHECK(k.family_state<netlink_family>().is_registered(nl_added));
    netlink_kernel_release(k, nl_added);
    CHECK(k.family_state<packet_family>().prot_hooks == 0);
    CHECK(k.family_state<vsock_family>().unbound == 0);
    const kernel_counters end = k.counters();
    CHECK(end.open_fds == 0);
    CHECK(end.sockets == start.sockets);
    CHECK(end.files == start.files);
    CHECK(end.socks == start.socks);
    CHECK(end.nr_files == start.nr_files);
    CHECK(end.module_refs == start.module_refs);
    CHECK(end.net_refs == start.net_refs);
    CHECK(end.sock_inuse == start.sock_inuse);
    CHECK(end.prot_inuse == start.prot_inuse);
    CHECK(end.family_state == start.family_state);

    // Quiet now: the answers follow the configuration exactly.
    CHECK(k.socket(leader, af_vsock, abi::sock_dgram, 0) == -ENODEV);
    vsock_core_register(k, VSOCK_TRANSPORT_F_DGRAM);
    const int vd = k.socket(leader, af_vsock, abi::sock_dgram, 0);
    CHECK(vd >= 0);
    CHECK(k.close(leader, vd) == 0);
    vsock_core_unregister(k, VSOCK_TRANSPORT_F_DGRAM);
    CHECK(k.socket(leader, af_netlink, abi::sock_raw, nl_toggled) == -EPROTONOSUPPORT);
    for (int af : fresh_numbers) {
        const int fd = k.socket(leader, af, abi::sock_dgram, 0);
        CHECK_MESSAGE(fd >= 0, "family ", af);
        CHECK(k.close(leader, fd) == 0);
    }
    k.sock_unregister(flapping);
    CHECK(k.socket(leader, flapping, abi::sock_dgram, 0) == -EAFNOSUPPORT);
    CHECK(k.counters() == end);
}

namespace registry_stress {
template <std::size_t... I>
std::vector<int> register_many_protos(K& k, std::index_sequence<I...>)
{
    return {k.proto_register(fresh_proto<K, 100 + static_cast<int>(I)>)...};
}
}  // namespace registry_stress

TEST_CASE("lock::smp: the proto list holds PROTO_INUSE_NR protos, then proto_register is ENOSPC")
{
    // assign_proto_idx: -ENOSPC once PROTO_INUSE_NR (64) in-use indexes are taken.
    K k;
    const std::size_t at_boot = k.protos.all().size();
    REQUIRE(at_boot < 64);
    const std::vector<int> r = register_many_protos(k, std::make_index_sequence<64>{});
    for (std::size_t i = 0; i < r.size(); ++i)
        CHECK_MESSAGE(r[i] == (at_boot + i < 64 ? 0 : -ENOSPC), "proto ", i);
    CHECK(k.protos.all().size() == 64);
    CHECK(k.proto_register(fresh_proto<K, 100>) == 0);  // registered already: left as it is
    // Each one's state is found again, with its own index.
    CHECK(k.protos.find(fresh_proto<K, 100>)->inuse_idx == static_cast<int>(at_boot));
    CHECK(k.protos.find(fresh_proto<K, 163>) == nullptr);
    CHECK(k.modules.known(&proto_module<100>));
}
