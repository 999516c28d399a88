// Run-time LSM hooks (opt::runtime_lsm<true>, k.security_hooks): the
// call_int_hook rule over the compile-time chain and then the run-time list,
// socket_post_create with its release path, and the programming errors.
// The hooks are the model's own; the answers around them (TCP fd 0, EPERM
// without CAP_NET_RAW) are the live kernel's as test_differential's grid checks.
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/security/hooks.hpp>

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <stdexcept>

namespace sm = sockmodel;

namespace {
using settable_chain = sm::lsm::chain<sm::lsm::settable>;
using K = sm::kernel<sm::config<sm::opt::runtime_lsm<true>, sm::opt::security<settable_chain>>>;

static_assert(!sm::kernel<>::runtime_lsm, "off by default");
static_assert(std::is_empty_v<sm::lsm::no_hook_heads>);
}  // namespace

TEST_CASE("runtime LSM: compile-time chain first, then the hooks in the order added")
{
    K k;
    auto& t = k.spawn(sm::cred::root());
    int calls = 0;
    sm::lsm::socket_create_hook h{"h", [&](const sm::cred&, int, int, int, int) { ++calls; return -EACCES; }};
    k.security_hooks.add(h);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -EACCES);
    CHECK(calls == 1);
    k.security.get<sm::lsm::settable>().create_ret = -ENOMEM;   // the built-in module answers first
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -ENOMEM);
    CHECK(calls == 1);
    k.security.get<sm::lsm::settable>().create_ret = 0;
    k.security_hooks.remove(h);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == 0);   // the live kernel: fd 0 in an empty table
    k.exit_all();
    CHECK(k.counters() == sm::kernel_counters{});
}

TEST_CASE("runtime LSM: socket_post_create denial releases the built socket")
{
    K k;
    auto& t = k.spawn(sm::cred::root());
    std::optional<int> seen_protocol;
    sm::lsm::socket_post_create_hook first{"first", [&](const sm::cred&, const sm::socket* s, int, int, int p, int) {
                                               seen_protocol = p;
                                               return s && s->sk ? 0 : -EINVAL;
                                           }};
    sm::lsm::socket_post_create_hook second{"second", [](const sm::cred&, const sm::socket*, int, int, int, int) {
                                                return -EPERM;
                                            }};
    k.security_hooks.add(first);
    k.security_hooks.add(second);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -EPERM);
    CHECK(seen_protocol == 0);   // the caller's protocol, not IPPROTO_TCP
    CHECK(k.counters() == sm::kernel_counters{});   // sock_release on the way out
    k.security_hooks.remove(second);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == 0);
    k.security_hooks.remove(first);
    k.exit_all();
    CHECK(k.counters() == sm::kernel_counters{});
}

TEST_CASE("runtime LSM: programming errors are reported, not undefined")
{
    sm::lsm::socket_create_hook h{"h", [](const sm::cred&, int, int, int, int) { return 0; }};
    {
        K a;
        K b;
        a.security_hooks.add(h);
        CHECK_THROWS_AS(a.security_hooks.add(h), sm::bug_error);
        CHECK_THROWS_AS(b.security_hooks.remove(h), sm::bug_error);   // not this kernel's
        a.security_hooks.remove(h);
        CHECK_THROWS_AS(a.security_hooks.remove(h), sm::bug_error);   // removed twice
        a.security_hooks.add(h);
    }   // the kernel goes first: its list unlinks the hook
    CHECK_FALSE(h.added());

    // A hook destroyed while added: a message and abort(), in a child.
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        K k;
        {
            sm::lsm::socket_create_hook dying{"dying", [](const sm::cred&, int, int, int, int) { return 0; }};
            k.security_hooks.add(dying);
        }
        _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
}
