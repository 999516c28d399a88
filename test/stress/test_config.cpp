// Configuration changing while threads make sockets (lock::smp): fault
// injection armed and cleared, run-time LSM hooks added and removed, netns
// sysctls (ping_group_range, rmem_default, bindv6only), fs.file-max and a
// thread group's RLIMIT_NOFILE changed, namespaces unshared, and threads of one
// table exiting at the same moment, all while other threads create and close
// sockets.
//
// Every answer is checked against what the kernel could have answered at some
// moment of the call: each changing condition is bracketed by four counters
// (on begun / on done / off begun / off done) that a caller reads before and
// after its call, so it knows whether the condition held at some moment of the
// call ("maybe") or during all of it ("surely"):
//   EPERM  (the LSM hook denies AF_UNIX)   only if the hook maybe was added;
//   EACCES (ping)                          only if the range maybe excluded the gid;
//   EMFILE                                 only if the group's limit maybe was low;
//   ENFILE                                 only if file-max maybe was 0;
//   EAFNOSUPPORT, ENOMEM                   exactly as many as the armed faults injected;
// and a success is wrong where the condition surely held. Injected faults
// fire exactly as armed: each "fail the Nth call" once. At the end every
// counter is back at its start.
//
// The kernel rules are Linux 6.18's (checked on this machine): ping sockets
// are allowed by net.ipv4.ping_group_range read under its seqlock,
// RLIMIT_NOFILE is read once by alloc_fd, fs.file-max binds only without
// CAP_SYS_ADMIN, unshare(CLONE_NEWUSER) of a multithreaded process is EINVAL.
#include <doctest/doctest.h>

#include <sockmodel/default_families.hpp>
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/security/hooks.hpp>
#include <sockmodel/kernel/smp.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

namespace {

using namespace sockmodel;
using cfg = config<opt::locking<lock::smp>, opt::faults<fault::inject>, opt::runtime_lsm<true>>;
using K = kernel<cfg>;
using abi = K::abi;

static_assert(std::is_same_v<K::faults_type, fault::rules<lock::smp, K::fault_table>>, "lock::smp holds the thread-safe injector");
static_assert(std::is_same_v<decltype(K::security_hooks), lsm::hook_heads<lock::smp>>, "and RCU hook lists");

double stress_seconds()
{
    if (const char* s = std::getenv("SOCKMODEL_STRESS_SECONDS"))
        return std::atof(s);
    return 1.0;
}

// A condition a changer thread turns on and off, bracketed by counters.
struct phase {
    std::atomic<long> on_begun{0}, on_done{0}, off_begun{0}, off_done{0};
    struct snap {
        long on_begun, on_done, off_begun, off_done;
    };
    snap read() const { return {on_begun.load(), on_done.load(), off_begun.load(), off_done.load()}; }
    // Held at some moment between a and b (it starts off).
    static bool maybe(const snap& a, const snap& b)
    {
        return !(a.off_done == a.on_begun && b.on_begun == a.on_begun);
    }
    // Held during all of [a, b].
    static bool surely(const snap& a, const snap& b) { return a.on_done > a.off_begun && b.off_begun == a.off_begun; }

    template <class F>
    void turn_on(F&& f)
    {
        ++on_begun;
        f();
        ++on_done;
    }
    template <class F>
    void turn_off(F&& f)
    {
        ++off_begun;
        f();
        ++off_done;
    }
};

struct phases {
    phase hook_in, ping_excluded, file_max_low, nofile_low;
    struct snap {
        phase::snap hook_in, ping_excluded, file_max_low, nofile_low;
    };
    snap read() const { return {hook_in.read(), ping_excluded.read(), file_max_low.read(), nofile_low.read()}; }
};

enum class call { tcp, ping, unix_stream };

struct tallies {
    std::atomic<long> calls{0}, eperm{0}, eafnosupport{0}, enomem{0}, ok{0}, errors{0};
    std::atomic<long> emfile{0}, enfile{0}, eacces{0};
};

// One socket() with its answer checked against the conditions around it.
// `group` says whether the caller's limit is the one the rlimit thread changes.
int checked_socket(K& k, task_struct& t, call what, bool group, bool root, const phases& ph, tallies& tl)
{
    const phases::snap a = ph.read();
    int fd = 0;
    switch (what) {
    case call::tcp: fd = k.socket(t, af_inet, abi::sock_stream, 0); break;
    case call::ping: fd = k.socket(t, af_inet, abi::sock_dgram, ipproto_icmp); break;
    case call::unix_stream: fd = k.socket(t, af_unix, abi::sock_stream, 0); break;
    }
    const phases::snap b = ph.read();
    tl.calls.fetch_add(1, std::memory_order_relaxed);
    bool right = true;
    const bool in_init_net = t.net_ns == &k.init_net;
    if (fd >= 0) {
        tl.ok.fetch_add(1, std::memory_order_relaxed);
        if (what == call::unix_stream && phase::surely(a.hook_in, b.hook_in))
            right = false;
        if (what == call::ping && in_init_net && phase::surely(a.ping_excluded, b.ping_excluded))
            right = false;
        if (!root && phase::surely(a.file_max_low, b.file_max_low))
            right = false;
    } else {
        switch (-fd) {
        case EPERM:
            tl.eperm.fetch_add(1, std::memory_order_relaxed);
            right = what == call::unix_stream && phase::maybe(a.hook_in, b.hook_in);
            break;
        case EACCES:
            tl.eacces.fetch_add(1, std::memory_order_relaxed);
            right = what == call::ping && in_init_net && phase::maybe(a.ping_excluded, b.ping_excluded);
            break;
        case EMFILE:
            tl.emfile.fetch_add(1, std::memory_order_relaxed);
            right = group && phase::maybe(a.nofile_low, b.nofile_low);
            break;
        case ENFILE:
            tl.enfile.fetch_add(1, std::memory_order_relaxed);
            right = (!root || what == call::unix_stream) && phase::maybe(a.file_max_low, b.file_max_low);
            break;
        case EAFNOSUPPORT: tl.eafnosupport.fetch_add(1, std::memory_order_relaxed); break;  // pf_module_get
        case ENOMEM: tl.enomem.fetch_add(1, std::memory_order_relaxed); break;              // d_alloc_pseudo
        default: right = false;
        }
    }
    if (!right) {
        tl.errors.fetch_add(1, std::memory_order_relaxed);
        std::fprintf(stderr, "unexpected answer %d to socket call %d (task %d)\n", fd, static_cast<int>(what), t.pid);
    }
    return fd;
}

}  // namespace

TEST_CASE("lock::smp: faults, LSM hooks, sysctls, rlimits, unshare and exits change while sockets are made")
{
    K k;
    k.init_net.set_ping_group_range(0, INT_MAX);  // ping allowed to everyone, to begin with
    const kernel_counters start = k.counters();

    const cred user = cred::user(1000, 1000);
    task_struct& leader = k.spawn(user);
    task_struct& thread1 = k.clone_thread(leader);
    task_struct& thread2 = k.clone_thread(leader);
    task_struct& setter = k.clone_thread(leader);  // the rlimit thread's task, of the same group
    task_struct& solo = k.spawn(user);
    REQUIRE(setter.signal == leader.signal);
    REQUIRE(leader.files->users() == 4);
    // A thread of a multithreaded process cannot unshare its user namespace.
    CHECK(k.unshare(thread1, clone_flag::newuser) == -EINVAL);

    phases ph;
    tallies tl;
    k.faults.reset_counts();
    std::atomic<bool> stop{false};
    std::atomic<long> errors{0};

    auto worker = [&](task_struct& t, bool group, unsigned seed) {
        std::deque<int> open;
        unsigned rnd = seed;
        while (!stop.load(std::memory_order_relaxed)) {
            rnd = rnd * 1103515245u + 12345u;
            const call what = static_cast<call>((rnd >> 16) % 3);
            const int fd = checked_socket(k, t, what, group, false, ph, tl);
            if (fd >= 0)
                open.push_back(fd);
            if (open.size() > 3 || (fd < 0 && !open.empty())) {
                if (k.close(t, open.front()) != 0)
                    errors.fetch_add(1);
                open.pop_front();
            }
        }
        for (int fd : open)
            if (k.close(t, fd) != 0)
                errors.fetch_add(1);
    };

    // Faults: "fail the Nth call" at pf_module_get, re-armed once it has fired;
    // seeded draws at d_alloc_pseudo in windows, cleared between.
    long nth_armed = 0;
    auto faulter = [&] {
        unsigned rnd = 7;
        while (!stop.load(std::memory_order_relaxed)) {
            rnd = rnd * 1103515245u + 12345u;
            k.faults.fail_nth(fault_point::pf_module_get, 1 + (rnd >> 16) % 16);
            ++nth_armed;
            while (k.faults.injected(fault_point::pf_module_get) < static_cast<unsigned long>(nth_armed) &&
                   !stop.load(std::memory_order_relaxed))
                std::this_thread::yield();
            k.faults.fail_probability(fault_point::d_alloc_pseudo, 100000, rnd);
            std::this_thread::sleep_for(std::chrono::microseconds(300));
            k.faults.clear(fault_point::d_alloc_pseudo);
            std::this_thread::sleep_for(std::chrono::microseconds(300));
        }
    };

    // LSM hooks: one denying AF_UNIX, one allowing everything after creation;
    // each removed then destroyed at once. A hook called after its removal
    // returned would be a use after free: the generation check catches it.
    std::atomic<long> hook_generation{0}, hook_late_calls{0}, hook_cycles{0};
    auto hooker = [&] {
        while (!stop.load(std::memory_order_relaxed)) {
            const long gen = hook_generation.load();
            auto deny = std::make_unique<lsm::socket_create_hook>(
                "deny-unix", [&, gen](const cred&, int family, int, int, int) {
                    if (hook_generation.load() != gen)
                        hook_late_calls.fetch_add(1);
                    return family == af_unix ? -EPERM : 0;
                });
            auto post = std::make_unique<lsm::socket_post_create_hook>(
                "allow", [&, gen](const cred&, const sockmodel::socket*, int, int, int, int) {
                    if (hook_generation.load() != gen)
                        hook_late_calls.fetch_add(1);
                    return 0;
                });
            ph.hook_in.turn_on([&] {
                k.security_hooks.add(*deny);
                k.security_hooks.add(*post);
            });
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            ph.hook_in.turn_off([&] {
                k.security_hooks.remove(*post);
                k.security_hooks.remove(*deny);  // returns after a grace period
            });
            hook_generation.fetch_add(1);
            deny.reset();
            post.reset();
            ++hook_cycles;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    };

    // Sysctls: the ping range, file-max (the workers have no CAP_SYS_ADMIN),
    // and sysctls socket() only copies.
    long sysctl_changes = 0;
    auto sysctler = [&] {
        while (!stop.load(std::memory_order_relaxed)) {
            ph.ping_excluded.turn_on([&] { k.init_net.set_ping_group_range(1, 0); });
            k.init_net.sysctl_set(&net_sysctl::rmem_default, 4096);
            k.init_net.sysctl_set(&net_sysctl::bindv6only, true);
            std::this_thread::sleep_for(std::chrono::microseconds(300));
            ph.ping_excluded.turn_off([&] { k.init_net.set_ping_group_range(0, INT_MAX); });
            k.init_net.sysctl_set(&net_sysctl::rmem_default, 212992);
            k.init_net.sysctl_set(&net_sysctl::bindv6only, false);
            std::this_thread::sleep_for(std::chrono::microseconds(300));
            ph.file_max_low.turn_on([&] { k.files.set_max_files(0); });
            std::this_thread::sleep_for(std::chrono::microseconds(50));
            ph.file_max_low.turn_off([&] { k.files.set_max_files(1L << 24); });
            std::this_thread::sleep_for(std::chrono::microseconds(300));
            sysctl_changes += 6;
        }
    };

    // RLIMIT_NOFILE of the group, from a thread of the group; getrlimit never
    // sees half of one setting.
    long rlimit_changes = 0;
    auto limiter = [&] {
        const resource_limit low{2, inr_open_max}, high{inr_open_cur, inr_open_max};
        while (!stop.load(std::memory_order_relaxed)) {
            ph.nofile_low.turn_on([&] {
                if (k.setrlimit(setter, abi::rlimit_nofile, &low) != 0)
                    errors.fetch_add(1);
            });
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            ph.nofile_low.turn_off([&] {
                if (k.setrlimit(setter, abi::rlimit_nofile, &high) != 0)
                    errors.fetch_add(1);
            });
            resource_limit now{};
            if (k.prlimit(setter, leader.pid, abi::rlimit_nofile, nullptr, &now) != 0 || !(now == low || now == high))
                errors.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::microseconds(400));
            rlimit_changes += 2;
        }
    };

    // Three threads of one table, each with sockets open, exiting at once:
    // exactly one of them (the last user) closes the table.
    long exits = 0;
    std::atomic<long> tables_left_open{0};
    auto exiter = [&] {
        while (!stop.load(std::memory_order_relaxed)) {
            task_struct& p = k.spawn();  // root: file-max does not bind it
            task_struct& q = k.clone_thread(p);
            task_struct& r = k.clone_thread(p);
            const sockmodel::kref_ptr<sockmodel::files_struct> table = p.files;  // not a user: files->count stays 3
            for (task_struct* x : {&p, &q, &r})
                checked_socket(k, *x, call::tcp, false, true, ph, tl);
            std::atomic<int> ready{0};
            auto leave = [&](task_struct& x) {
                ready.fetch_add(1);
                while (ready.load() < 3)
                    std::this_thread::yield();
                k.exit(x);
            };
            std::thread tq(leave, std::ref(q)), tr(leave, std::ref(r));
            leave(p);
            tq.join();
            tr.join();
            std::lock_guard fl(table->file_lock);
            if (table->open_count() != 0 || table->users() != 0)
                tables_left_open.fetch_add(1);
            ++exits;
        }
    };

    // unshare(CLONE_NEWNET) over and over, a ping socket in each new netns
    // after setting its range, while the others work in init_net.
    long unshares = 0;
    auto unsharer = [&] {
        task_struct& u = k.spawn();
        while (!stop.load(std::memory_order_relaxed)) {
            if (k.unshare(u, clone_flag::newnet) != 0) {
                errors.fetch_add(1);
                break;
            }
            u.net_ns->set_ping_group_range(0, 0);
            const int fd = checked_socket(k, u, call::ping, false, true, ph, tl);
            if (fd >= 0 && k.close(u, fd) != 0)
                errors.fetch_add(1);
            ++unshares;
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        k.exit(u);
    };

    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    threads.emplace_back(worker, std::ref(leader), true, 1u);
    threads.emplace_back(worker, std::ref(thread1), true, 2u);
    threads.emplace_back(worker, std::ref(thread2), true, 3u);
    threads.emplace_back(worker, std::ref(solo), false, 4u);
    threads.emplace_back(faulter);
    threads.emplace_back(hooker);
    threads.emplace_back(sysctler);
    threads.emplace_back(limiter);
    threads.emplace_back(exiter);
    threads.emplace_back(unsharer);
    std::this_thread::sleep_for(std::chrono::duration<double>(stress_seconds()));
    stop = true;
    for (auto& th : threads)
        th.join();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("config stress: %.2f s, %ld socket() calls (%ld made; EPERM %ld, EACCES %ld, EMFILE %ld, ENFILE %ld, "
                "injected EAFNOSUPPORT %ld, ENOMEM %ld); %ld hook cycles, %ld sysctl writes, %ld rlimit writes, "
                "%ld triple exits, %ld unshares, %ld nth faults armed\n",
                secs, tl.calls.load(), tl.ok.load(), tl.eperm.load(), tl.eacces.load(), tl.emfile.load(),
                tl.enfile.load(), tl.eafnosupport.load(), tl.enomem.load(), hook_cycles.load(), sysctl_changes,
                rlimit_changes, exits, unshares, nth_armed);

    CHECK(errors.load() == 0);
    CHECK(tl.errors.load() == 0);
    CHECK(hook_late_calls.load() == 0);
    CHECK(tables_left_open.load() == 0);
    // Each "fail the Nth call" fired once (the last one maybe not yet), and
    // every injected failure is an answer some caller got.
    const unsigned long pf_injected = k.faults.injected(fault_point::pf_module_get);
    CHECK((pf_injected == static_cast<unsigned long>(nth_armed) ||
           pf_injected + 1 == static_cast<unsigned long>(nth_armed)));
    CHECK(static_cast<unsigned long>(tl.eafnosupport.load()) == pf_injected);
    CHECK(static_cast<unsigned long>(tl.enomem.load()) == k.faults.injected(fault_point::d_alloc_pseudo));
    // Every call but those the LSM denied reached pf_module_get.
    CHECK(k.faults.passes(fault_point::pf_module_get) ==
          static_cast<unsigned long>(tl.calls.load() - tl.eperm.load()));
    CHECK(k.faults.passes(fault_point::security_socket_create) == static_cast<unsigned long>(tl.calls.load()));
    CHECK(tl.ok.load() > 0);
    CHECK(hook_cycles.load() > 0);
    CHECK(exits > 0);
    CHECK(unshares > 0);
    CHECK(k.security_hooks.empty());

    // Quiet again: the configuration as it was, the answers as before.
    k.faults.clear();
    CHECK(k.init_net.ping_group_range() == std::pair<kgid_t, kgid_t>{0, INT_MAX});
    CHECK(k.files.max_files() == 1L << 24);
    CHECK(leader.rlimit(abi::rlimit_nofile) == resource_limit{inr_open_cur, inr_open_max});
    CHECK(solo.rlimit(abi::rlimit_nofile) == resource_limit{inr_open_cur, inr_open_max});
    const int fd = k.socket(thread1, af_inet, abi::sock_dgram, ipproto_icmp);
    CHECK(fd == 0);
    CHECK(k.close(thread1, fd) == 0);
    for (task_struct* t : {&leader, &thread1, &thread2, &setter, &solo})
        k.exit(*t);
    const kernel_counters end = k.counters();
    CHECK(end == start);
}

TEST_CASE("lock::smp: fault injection from many threads: the Nth call fails once, seeded draws as from one thread")
{
    constexpr int threads = 4, calls = 5000;
    K::faults_type inj;
    // fail_nth: of all the calls from all threads, exactly one fails.
    for (unsigned long nth : {1UL, 2UL, 777UL, 19999UL}) {
        inj.reset_counts();
        inj.fail_nth(fault_point::sock_alloc, nth);
        std::atomic<long> failed{0};
        std::vector<std::thread> ts;
        for (int i = 0; i < threads; ++i)
            ts.emplace_back([&] {
                for (int j = 0; j < calls; ++j)
                    if (inj.should_fail(fault_point::sock_alloc))
                        failed.fetch_add(1);
            });
        for (auto& t : ts)
            t.join();
        CHECK(failed.load() == 1);
        CHECK(inj.injected(fault_point::sock_alloc) == 1);
        CHECK(inj.passes(fault_point::sock_alloc) == threads * calls);
    }
    // fail_probability: the same number of failures as one thread making all
    // the calls with the lock::none injector and the same seed.
    for (std::uint64_t seed : {1ULL, 42ULL, 0xdeadbeefULL}) {
        inj.clear();
        inj.fail_probability(fault_point::filp_cache, 250000, seed);
        fault::rules<lock::none, K::fault_table> one;
        one.fail_probability(fault_point::filp_cache, 250000, seed);
        long expected = 0;
        for (int j = 0; j < threads * calls; ++j)
            expected += one.should_fail(fault_point::filp_cache);
        std::atomic<long> failed{0};
        std::vector<std::thread> ts;
        for (int i = 0; i < threads; ++i)
            ts.emplace_back([&] {
                for (int j = 0; j < calls; ++j)
                    if (inj.should_fail(fault_point::filp_cache))
                        failed.fetch_add(1);
            });
        for (auto& t : ts)
            t.join();
        CHECK(failed.load() == expected);
        CHECK(inj.injected(fault_point::filp_cache) == static_cast<unsigned long>(expected));
        CHECK(expected > 0);
    }
}

TEST_CASE("lock::smp: removing an LSM hook waits for the socket() that is running it")
{
    K k;
    task_struct& t = k.spawn();
    std::atomic<bool> inside{false}, release{false}, removed{false};
    auto h = std::make_unique<lsm::socket_create_hook>("slow", [&](const cred&, int, int, int, int) {
        inside = true;
        while (!release.load())
            std::this_thread::yield();
        return -EPERM;
    });
    k.security_hooks.add(*h);
    std::thread caller([&] { CHECK(k.socket(t, af_inet, abi::sock_stream, 0) == -EPERM); });
    while (!inside.load())
        std::this_thread::yield();
    std::thread remover([&] {
        k.security_hooks.remove(*h);
        removed = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(removed.load());  // the hook is still running: no grace period yet
    release = true;
    caller.join();
    remover.join();
    CHECK(removed.load());
    h.reset();  // safe now
    const int fd = k.socket(t, af_inet, abi::sock_stream, 0);
    CHECK(fd == 0);
    CHECK(k.close(t, fd) == 0);
}

TEST_CASE("lock::smp: ping_group_range is read whole under its seqlock")
{
    net n;
    n.set_ping_group_range(0, 0);  // not the initial "1 0": every range written has low == high
    std::atomic<bool> stop{false};
    std::atomic<long> torn{0}, reads{0}, writes{0};
    std::thread writer([&] {
        for (kgid_t g = 1; !stop.load(std::memory_order_relaxed); ++g) {
            n.set_ping_group_range(g, g);
            writes.fetch_add(1, std::memory_order_relaxed);
        }
    });
    std::thread reader([&] {
        while (writes.load() == 0)
            std::this_thread::yield();
        for (int i = 0; i < 200000; ++i) {
            const auto [low, high] = n.ping_group_range();
            if (low != high)
                torn.fetch_add(1);
            reads.fetch_add(1, std::memory_order_relaxed);
        }
        stop = true;
    });
    reader.join();
    writer.join();
    CHECK(torn.load() == 0);
    CHECK(reads.load() == 200000);
    CHECK(writes.load() > 0);
    const auto [low, high] = n.ping_group_range();
    CHECK(low == high);
    CHECK(low > 0);
}
