// clone/unshare flag rules, user namespace maps and nesting, dup_fd's next_fd
// and getsockopt's checks, on the model alone (the differential tests compare
// each with the live kernel).
#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <string>

namespace sm = sockmodel;
namespace cf = sockmodel::clone_flag;
using K = sm::kernel<>;

TEST_CASE("clone: copy_process's flag rules, and CLONE_NEWUSER|CLONE_NEWNET give the child its namespaces")
{
    K k;
    sm::task_struct& nobody = k.spawn(sm::cred::user());
    CHECK(k.clone(nobody, cf::newuser | cf::fs) == -EINVAL);
    CHECK(k.clone(nobody, cf::pthread | cf::newuser) == -EINVAL);
    CHECK(k.clone(nobody, cf::newnet) == -EPERM);
    const int pid = k.clone(nobody, cf::newuser | cf::newnet);
    REQUIRE(pid > 0);
    sm::task_struct& child = *k.find_task(pid);
    CHECK(child.cred.user_ns->level == 1);
    CHECK(child.net_ns != nobody.net_ns);
    CHECK(k.socket(child, sm::af_inet, K::abi::sock_raw, 1) >= 0);  // CAP_NET_RAW over its own netns
    CHECK(k.socket(nobody, sm::af_inet, K::abi::sock_raw, 1) == -EPERM);
}

TEST_CASE("unshare: every flag ksys_unshare knows, with its rule")
{
    K k;
    sm::task_struct& t = k.spawn(sm::cred::user());
    CHECK(k.unshare(t, 0x8000 /* CLONE_PARENT */) == -EINVAL);
    CHECK(k.unshare(t, cf::newns) == -EPERM);
    CHECK(k.unshare(t, cf::sysvsem | cf::files | cf::fs | cf::vm | cf::sighand | cf::thread) == 0);
    sm::task_struct& thread = k.clone_thread(t);
    CHECK(k.unshare(thread, cf::thread) == -EINVAL);
    CHECK(k.unshare(thread, cf::files) == 0);  // a private copy of the table
    CHECK(thread.files != t.files);
    CHECK(k.unshare(t, cf::newuser) == -EINVAL);  // CLONE_NEWUSER implies CLONE_THREAD
    k.exit(thread);
    CHECK(k.unshare(t, cf::newuser | cf::newns | cf::newpid | cf::newuts | cf::newipc | cf::newcgroup |
                           cf::newtime | cf::newnet) == 0);
}

TEST_CASE("user namespaces: the creator must be mapped, 33 levels, maps written once")
{
    K k;
    sm::task_struct& t = k.spawn(sm::cred::user());
    REQUIRE(k.unshare(t, cf::newuser) == 0);
    CHECK(k.unshare(t, cf::newuser) == -EPERM);  // 65534 has no mapping in level 1
    CHECK(k.write_gid_map(t, 0, "65534 65534 1") == -EPERM);  // setgroups not denied yet
    CHECK(k.write_uid_map(t, 0, "0 0 1") == -EPERM);          // not its own id
    CHECK(k.write_uid_map(t, 0, "0 65534 0") == -EINVAL);
    CHECK(k.write_uid_map(t, 0, "0 65534 1\n") == 10);
    CHECK(k.write_uid_map(t, 0, "0 65534 1\n") == -EPERM);  // once
    CHECK(k.write_setgroups(t, 0, "deny") == 4);
    CHECK(k.write_gid_map(t, 0, "0 65534 1") == 9);
    CHECK(sm::from_kuid_munged(*t.cred.user_ns, t.cred.euid) == 0);
    unsigned range[2] = {};
    CHECK(k.read_ping_group_range(t, range) == 0);
    CHECK((range[0] == sm::overflow_id && range[1] == sm::overflow_id));  // "1 0" in kgids, unmapped here
    for (int level = 2; level <= 33; ++level) {
        REQUIRE(k.unshare(t, cf::newuser) == 0);
        REQUIRE(k.write_setgroups(t, 0, "deny") > 0);
        REQUIRE(k.write_uid_map(t, 0, "0 0 1") > 0);
        REQUIRE(k.write_gid_map(t, 0, "0 0 1") > 0);
    }
    CHECK(t.cred.user_ns->level == 33);
    CHECK(k.unshare(t, cf::newuser) == -ENOSPC);
}

TEST_CASE("user namespaces: max_user_namespaces is counted at every level up")
{
    K k;
    sm::task_struct& t = k.spawn(sm::cred::user());
    REQUIRE(k.unshare(t, cf::newuser) == 0);
    CHECK(k.set_max_user_namespaces(t, 2) == 0);
    REQUIRE(k.write_uid_map(t, 0, "0 65534 1") > 0);
    REQUIRE(k.write_setgroups(t, 0, "deny") > 0);
    REQUIRE(k.write_gid_map(t, 0, "0 65534 1") > 0);
    for (int i = 0; i < 2; ++i) {
        REQUIRE(k.unshare(t, cf::newuser) == 0);
        REQUIRE(k.write_uid_map(t, 0, "0 0 1") > 0);
        REQUIRE(k.write_setgroups(t, 0, "deny") > 0);
        REQUIRE(k.write_gid_map(t, 0, "0 0 1") > 0);
    }
    CHECK(k.unshare(t, cf::newuser) == -ENOSPC);
}

TEST_CASE("dup_fd: a reserved fd is free in the child and next_fd starts at 0")
{
    K k;
    sm::task_struct& t = k.spawn();
    REQUIRE(k.socket(t, sm::af_unix, K::abi::sock_stream, 0) == 0);
    REQUIRE(k.socket(t, sm::af_unix, K::abi::sock_stream, 0) == 1);
    // Another thread of t is between get_unused_fd_flags and fd_install: 2 is reserved.
    const int reserved = t.files->alloc_fd(0, 1024, false, 1024, false);
    REQUIRE(reserved == 2);
    REQUIRE(t.files->next_fd() == 3);
    const int pid = k.clone(t, 0);
    sm::task_struct& c = *k.find_task(pid);
    CHECK(c.files->next_fd() == 0);
    CHECK(k.socket(c, sm::af_unix, K::abi::sock_stream, 0) == 2);
    t.files->put_unused_fd(2);
    k.exit_all();
    CHECK(k.counters() == sm::kernel_counters{});
}

TEST_CASE("getsockopt: the system call's optval/optlen checks and SOL_SOCKET values")
{
    K k;
    sm::task_struct& t = k.spawn();
    const int fd = k.socket(t, sm::af_inet, K::abi::sock_stream, 0);
    int v = 0;
    int len = -1;
    CHECK(k.getsockopt(t, fd, 1, 7, &v, &len) == -EINVAL);
    CHECK(k.getsockopt(t, fd, 1, 7, &v, nullptr) == -EFAULT);
    len = 4;
    CHECK(k.getsockopt(t, fd, 1, 7, nullptr, &len) == -EFAULT);
    CHECK(k.getsockopt(t, fd, 1, 7, &v, &len) == 0);
    CHECK(v == 16384);  // tcp_wmem[1]
    char small[2] = {};
    len = 2;
    CHECK(k.getsockopt(t, fd, 1, 3, small, &len) == 0);
    CHECK(len == 2);
    CHECK(k.getsockopt(t, fd, 1000, 1, &v) == -EOPNOTSUPP);  // do_ip_getsockopt
    CHECK(k.getsockopt(t, fd, 6, 10000, &v) == -ENOPROTOOPT);
    const int u = k.socket(t, sm::af_unix, K::abi::sock_stream, 0);
    CHECK(k.getsockopt(t, u, 0, 1, &v) == -EOPNOTSUPP);  // no unix getsockopt
    const int n = k.socket(t, sm::af_netlink, K::abi::sock_raw, 0);
    CHECK(k.getsockopt(t, n, 0, 1, &v) == -ENOPROTOOPT);
    k.exit_all();
    CHECK(k.counters() == sm::kernel_counters{});
}
