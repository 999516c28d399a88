// Misuse of the library gets a clear error, never undefined behaviour (issue
// #18), one case per rule of README's "Misuse" section:
//   1. a task is named only while it lives, and only on its own kernel;
//   2. a hook or a family that throws leaves the kernel as an error return
//      at that point would (every counter back), then the exception goes on;
//   3. a hook may change the hook lists while it runs (both lock policies);
//   4. fault rules that make no sense are refused;
//   5. (NDEBUG off) a lock::none kernel entered from two threads is reported.
// Run by sockmodel-unit (ASan, UBSan passes) and sockmodel-stress (TSan pass).
// The errnos here are the model's answers to valid calls, as the live kernel
// gives them (fd 0 in an empty table; ESRCH for a pid that has exited:
// prlimit(2) on a reaped pid answers ESRCH on Linux 6.18).
#include "fixture.hpp"
#include "test_family.hpp"

#include <sockmodel/sockmodel.hpp>
#include <sockmodel/kernel/smp.hpp>
#include <sockmodel/security/hooks.hpp>

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace misuse_family {

using namespace sockmodel;

// A family of the user's whose create throws where the test says: before
// anything is allocated, after sk_alloc and sock_init_data, or from its
// proto's init. Where it throws is the family's own state in the kernel.
enum class throw_at { nowhere, before_alloc, after_alloc, in_init };
inline constexpr int af_misuse = 30;
inline constexpr module fam_mod{"misuse_fam"};

struct thrower_state {
    throw_at where = throw_at::nowhere;
    long in_use() const { return 0; }
};

struct misuse_sock : sock {};

struct thrower;

template <class K>
int misuse_init(context<K>& cx, sock&)
{
    if (cx.k.template family_state<thrower>().where == throw_at::in_init)
        throw std::runtime_error("misuse_init");
    return 0;
}

template <class K>
inline constexpr proto misuse_prot{
    .name = "MISUSE",
    .owner = &fam_mod,
    .obj = proto_object<misuse_sock>{},
    .init = &kernel_fn<K, &misuse_init<K>>::call,
    .close = &kernel_fn<K, &test_family_support::close_nothing<K>>::call,
};

using entry = test_family_support::entry;

template <class K>
struct table {
    static constexpr std::array<entry, 1> entries{{{misuse_prot<K>, test_family_support::ops<K, af_misuse, &fam_mod>}}};
};

struct thrower {
    static constexpr int family = af_misuse;
    static constexpr const module* owner = &fam_mod;
    static constexpr std::string_view create_name = "misuse_create";
    using state = thrower_state;
    template <class K>
    using protosw = table<K>;

    template <class K>
    static constexpr create_choice choose(const create_context&, int type, int protocol)
    {
        if (protocol != 0)
            return create_choice::fail(-EPROTONOSUPPORT, 1);
        const entry& e = table<K>::entries[0];
        return {0, 2, &e.ops, &e.prot, type, 0, af_misuse};
    }
    template <class K>
    static int construct(context<K>& cx, net& n, sockmodel::socket& s, const create_choice& c, int kern)
    {
        const throw_at where = cx.k.template family_state<thrower>().where;
        if (where == throw_at::before_alloc)
            throw std::runtime_error("misuse_create before sk_alloc");
        s.ops = c.ops;
        sock* sk = sk_alloc(cx, n, af_misuse, *c.prot, kern);
        if (!sk)
            return -ENOBUFS;
        sock_init_data(cx, &s, *sk);
        if (where == throw_at::after_alloc)
            throw std::runtime_error("misuse_create after sk_alloc");
        return c.prot->init(&cx, *sk);
    }
};

}  // namespace misuse_family

namespace {

namespace sm = sockmodel;
using misuse_family::throw_at;

template <class L>
using hooked = sm::config<sm::opt::runtime_lsm<true>, sm::opt::locking<L>,
                          sm::opt::families<sm::unix_family, sm::inet_family, misuse_family::thrower>>;

// Every way a task can be named wrongly, on one kernel configuration.
template <class K>
void task_misuse()
{
    K k1;
    K k2;
    auto& t = k1.spawn();
    auto& other = k1.spawn();
    const sm::kernel_counters start = k1.counters();
    REQUIRE(k1.socket(t, AF_INET, SOCK_STREAM, 0) == 0);

    // Another kernel's task: refused at the entry of every system call.
    CHECK_THROWS_WITH_AS(k2.socket(t, AF_INET, SOCK_STREAM, 0),
                         doctest::Contains("belongs to another kernel object"), sm::bug_error);
    CHECK_THROWS_AS(k2.clone(t, 0), sm::bug_error);
    CHECK_THROWS_AS(k2.close(t, 0), sm::bug_error);
    CHECK_THROWS_AS(k2.exit(t), sm::bug_error);
    CHECK(k2.counters() == sm::kernel_counters{});

    const int pid = t.pid;
    k1.exit(t);
    // An exited task: no system call, no second exit.
    CHECK_THROWS_WITH_AS(k1.socket(t, AF_INET, SOCK_STREAM, 0), doctest::Contains("has exited"), sm::bug_error);
    CHECK_THROWS_WITH_AS(k1.exit(t), doctest::Contains("has exited"), sm::bug_error);
    CHECK_THROWS_AS(k1.close(t, 0), sm::bug_error);
    CHECK_THROWS_AS(k1.clone(t, 0), sm::bug_error);
    int sv[2];
    CHECK_THROWS_AS(k1.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv), sm::bug_error);
    CHECK_THROWS_AS(k1.write_uid_map(t, 0, "0 0 1"), sm::bug_error);
    CHECK_THROWS_WITH_AS(k2.socket(t, AF_INET, SOCK_STREAM, 0), doctest::Contains("has exited there"),
                         sm::bug_error);
    // Its pid names no task any more: the kernel's answer.
    sm::resource_limit old{};
    CHECK(k1.prlimit(other, pid, 7, nullptr, &old) == -ESRCH);
    CHECK(k1.find_task(pid) == nullptr);
    // Its socket closed with it; the other task is unharmed.
    CHECK(k1.counters() == start);
    CHECK(k1.socket(other, AF_INET, SOCK_STREAM, 0) == 0);
    k1.exit_all();
    CHECK(k1.counters() == sm::kernel_counters{});
}

// After a throw: the counters as before, and no fd left reserved.
template <class K>
void expect_unchanged(K& k, sm::task_struct& t, const sm::kernel_counters& start, const char* what)
{
    INFO(std::string(what));
    CHECK(k.counters() == start);
    // Nothing reserved is left behind: the next socket gets the lowest fd.
    const int fd = k.socket(t, AF_INET, SOCK_STREAM, 0);
    CHECK(fd == 0);
    CHECK(k.close(t, fd) == 0);
    CHECK(k.counters() == start);
}

}  // namespace

TEST_CASE("misuse: a task is named only while it lives, and only on its own kernel")
{
    task_misuse<sm::kernel<>>();
    task_misuse<sm::kernel<hooked<sm::lock::smp>>>();
    // The abort policy takes the same path (its message is the same rule).
    static_assert(sm::kernel<sm::config<sm::opt::on_bug<sm::bug_policy::abort>>>::config::on_bug ==
                  sm::bug_policy::abort);
}

TEST_CASE("misuse: a hook or a family that throws leaves the kernel as an error return would")
{
    using K = sm::kernel<hooked<sm::lock::none>>;
    K k;
    auto& t = k.spawn();
    const sm::kernel_counters start = k.counters();
    int sv[2] = {-1, -1};

    SUBCASE("socket_create hook")
    {
        int calls = 0;
        int throw_on = 1;
        sm::lsm::socket_create_hook h{"thrower", [&](const sm::cred&, int, int, int, int) -> int {
                                          if (++calls == throw_on)
                                              throw std::runtime_error("socket_create");
                                          return 0;
                                      }};
        k.security_hooks.add(h);
        CHECK_THROWS_AS(k.socket(t, AF_INET, SOCK_STREAM, 0), std::runtime_error);
        calls = 0;
        CHECK_THROWS_AS(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv), std::runtime_error);  // first sock_create
        calls = 0;
        throw_on = 2;
        CHECK_THROWS_AS(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv), std::runtime_error);  // second sock_create
        k.security_hooks.remove(h);
        expect_unchanged(k, t, start, "socket_create");
    }
    SUBCASE("socket_post_create hook")
    {
        int calls = 0;
        int throw_on = 1;
        sm::lsm::socket_post_create_hook h{"thrower",
                                           [&](const sm::cred&, const sm::socket*, int, int, int, int) -> int {
                                               if (++calls == throw_on)
                                                   throw std::runtime_error("socket_post_create");
                                               return 0;
                                           }};
        k.security_hooks.add(h);
        CHECK_THROWS_AS(k.socket(t, AF_INET, SOCK_STREAM, 0), std::runtime_error);
        calls = 0;
        CHECK_THROWS_AS(k.socket(t, AF_UNIX, SOCK_DGRAM, 0), std::runtime_error);
        calls = 0;
        CHECK_THROWS_AS(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv), std::runtime_error);
        calls = 0;
        throw_on = 2;
        CHECK_THROWS_AS(k.socketpair(t, AF_UNIX, SOCK_DGRAM, 0, sv), std::runtime_error);
        k.security_hooks.remove(h);
        expect_unchanged(k, t, start, "socket_post_create");
    }
    SUBCASE("a family's create and its proto's init")
    {
        for (throw_at where : {throw_at::before_alloc, throw_at::after_alloc, throw_at::in_init}) {
            k.family_state<misuse_family::thrower>().where = where;
            CHECK_THROWS_AS(k.socket(t, misuse_family::af_misuse, SOCK_DGRAM, 0), std::runtime_error);
            CHECK_THROWS_AS(k.socketpair(t, misuse_family::af_misuse, SOCK_DGRAM, 0, sv), std::runtime_error);
            expect_unchanged(k, t, start, "family");
        }
        // And without a throw the family works: the path is the same one.
        k.family_state<misuse_family::thrower>().where = throw_at::nowhere;
        const int fd = k.socket(t, misuse_family::af_misuse, SOCK_DGRAM, 0);
        CHECK(fd == 0);
        CHECK(k.close(t, fd) == 0);
    }
    k.exit_all();
    CHECK(k.counters() == sm::kernel_counters{});
}

TEST_CASE_TEMPLATE("misuse: a hook may change the hook lists while it runs", L, sm::lock::none, sm::lock::smp)
{
    using K = sm::kernel<hooked<L>>;
    K k;
    auto& t = k.spawn();
    int self_calls = 0, next_calls = 0, added_calls = 0;
    std::unique_ptr<sm::lsm::socket_create_hook> added;
    sm::lsm::socket_create_hook next{"next", [&](const sm::cred&, int, int, int, int) {
                                         ++next_calls;
                                         return 0;
                                     }};
    sm::lsm::socket_create_hook self{"self", [&](const sm::cred&, int, int, int, int) {
                                         ++self_calls;
                                         k.security_hooks.remove(self);  // itself
                                         k.security_hooks.remove(next);  // the one after it in this walk
                                         added = std::make_unique<sm::lsm::socket_create_hook>(
                                             "added", [&](const sm::cred&, int, int, int, int) {
                                                 ++added_calls;
                                                 return -EACCES;
                                             });
                                         k.security_hooks.add(*added);
                                         return 0;
                                     }};
    k.security_hooks.add(self);
    k.security_hooks.add(next);
    // The call in progress finishes on the list it began with...
    const int fd = k.socket(t, AF_INET, SOCK_STREAM, 0);
    CHECK(fd == 0);
    CHECK(self_calls == 1);
    CHECK(next_calls == 1);
    CHECK(added_calls == 0);
    // ... later calls see the change.
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -EACCES);
    CHECK(self_calls == 1);
    CHECK(next_calls == 1);
    CHECK(added_calls == 1);
    CHECK(!self.added());
    CHECK(!next.added());

    // A hook of one list removing a hook of the other, from inside its walk.
    sm::lsm::socket_post_create_hook post{"post", [&](const sm::cred&, const sm::socket*, int, int, int, int) {
                                              k.security_hooks.remove(*added);
                                              return 0;
                                          }};
    k.security_hooks.add(post);
    k.security_hooks.remove(*added);
    k.security_hooks.add(*added);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -EACCES);  // added refuses first
    k.security_hooks.remove(*added);
    sm::lsm::socket_create_hook fresh{"fresh", [](const sm::cred&, int, int, int, int) { return 0; }};
    k.security_hooks.add(fresh);
    sm::lsm::socket_post_create_hook post2{"post2", [&](const sm::cred&, const sm::socket*, int, int, int, int) {
                                               k.security_hooks.remove(fresh);
                                               return 0;
                                           }};
    k.security_hooks.remove(post);
    k.security_hooks.add(post2);
    const int fd2 = k.socket(t, AF_INET, SOCK_STREAM, 0);
    CHECK(fd2 == 1);
    CHECK(!fresh.added());
    added.reset();  // its system calls have returned: nothing pins it
    k.security_hooks.remove(post2);
    CHECK(k.security_hooks.empty());
    CHECK(k.close(t, fd) == 0);
    CHECK(k.close(t, fd2) == 0);
    k.exit_all();
    CHECK(k.counters() == sm::kernel_counters{});
}

TEST_CASE("misuse: fault rules that make no sense are refused")
{
    sm::kernel<sm::config<sm::opt::faults<sm::fault::inject>>> k;
    CHECK_THROWS_WITH_AS(k.faults.fail_nth(sm::fault_point::sock_alloc, 0), doctest::Contains("counted from 1"),
                         sm::invalid_argument);
    CHECK_THROWS_WITH_AS(k.faults.fail_probability(sm::fault_point::sock_alloc, 1000001, 1),
                         doctest::Contains("at most 1000000"), sm::invalid_argument);
    static constexpr sm::fault_point_info foreign{.name = "not_here", .fn = "nowhere", .what = "-", .err = -ENOMEM};
    CHECK_THROWS_WITH_AS(k.faults.fail_nth(foreign, 1), doctest::Contains("not in this kernel's configuration"),
                         sm::invalid_argument);
    // A rule that makes sense still works after the refusals.
    auto& t = k.spawn();
    k.faults.fail_nth(sm::fault_point::sock_alloc, 1);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -ENFILE);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == 0);
}

#ifndef NDEBUG
TEST_CASE("misuse: a lock::none kernel entered from two threads at once is reported")
{
    using K = sm::kernel<hooked<sm::lock::none>>;
    K k;
    auto& t1 = k.spawn();
    auto& t2 = k.spawn();
    std::atomic<int> stage{0};
    // Thread 1 stays inside socket() (in a hook) until thread 2 has tried.
    sm::lsm::socket_create_hook wait{"wait", [&](const sm::cred&, int, int, int, int) {
                                         stage.store(1);
                                         while (stage.load() != 2)
                                             std::this_thread::yield();
                                         return 0;
                                     }};
    k.security_hooks.add(wait);
    int fd1 = -1;
    std::thread inside([&] { fd1 = k.socket(t1, AF_INET, SOCK_STREAM, 0); });
    while (stage.load() != 1)
        std::this_thread::yield();
    std::string what;
    try {
        k.socket(t2, AF_INET, SOCK_STREAM, 0);
    } catch (const sm::bug_error& e) {
        what = e.what();
    }
    stage.store(2);
    inside.join();
    CHECK(what.find("entered from two threads at once") != std::string::npos);
    CHECK(fd1 == 0);
    k.security_hooks.remove(wait);
    // One thread at a time is fine, and a hook may make a system call of its own.
    sm::lsm::socket_create_hook nested{"nested", [&](const sm::cred&, int, int, int family, int) {
                                           return family == AF_INET ? k.close(t2, 99) == -EBADF ? 0 : -EIO : 0;
                                       }};
    k.security_hooks.add(nested);
    int fd2 = -1;
    std::thread([&] { fd2 = k.socket(t2, AF_INET, SOCK_STREAM, 0); }).join();
    CHECK(fd2 == 0);  // t2's own table
    k.security_hooks.remove(nested);
    k.exit_all();
    CHECK(k.counters() == sm::kernel_counters{});
}
#endif
