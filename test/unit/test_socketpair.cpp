// socketpair(2) in the model: __sys_socketpair's order (flags, two fds, the
// user array, two sock_creates, the LSM hook, the family's socketpair op, two
// files, two fd_installs), what each failure gives back, and the unix pair's
// connection and teardown.
//
// Every errno and fd number expected here was checked against the live kernel
// (Linux 6.18): syscall(SYS_socketpair, ...) in a forked child with fds 0..7
// busy and RLIMIT_NOFILE = 8 + nfree (nfree 0, 1, 2), a null and an (int*)1
// array; see also test/differential/test_socketpair.cpp, which repeats the
// observable part of these cases against the live kernel on every run.
#include "fixture.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

using namespace sockmodel;

namespace {

using traced_config = config<opt::tracer<trace::recorder>>;
using lsm_config = config<opt::security<lsm::chain<lsm::settable>>, opt::tracer<trace::recorder>>;

// The functions __sys_socketpair called directly (depth 1), in order.
std::vector<std::string> children(const trace::recorder& r)
{
    std::vector<std::string> out;
    for (const auto& e : r.events)
        if (e.what == trace::kind::enter && e.depth == 1)
            out.emplace_back(e.fn);
    return out;
}

bool traced(const trace::recorder& r, std::string_view fn, std::string_view text_part = {})
{
    for (const auto& e : r.events)
        if (e.fn == fn && e.text.find(text_part) != std::string::npos)
            return true;
    return false;
}

sockmodel::socket& socket_of(task_struct& t, int fd)
{
    return *static_cast<sockmodel::socket*>(t.files->lookup(fd)->private_data);
}

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE_FIXTURE(model_fixture<traced_config>, "unix pair: kernel order, fds reserved before the sockets exist")
{
    int sv[2] = {-7, -7};
    k.tracer.clear();
    // Live: socketpair(AF_UNIX, SOCK_STREAM, 0) in a process with no fds open gives {0, 1}.
    REQUIRE(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(sv[0] == 0);
    CHECK(sv[1] == 1);
    CHECK(children(k.tracer) ==
          strings{"get_unused_fd_flags", "get_unused_fd_flags", "sock_create", "sock_create",
                  "security_socket_socketpair", "unix_socketpair", "sock_alloc_file", "sock_alloc_file",
                  "fd_install", "fd_install"});
    CHECK_FALSE(traced(k.tracer, "update_socket_protocol"));  // only __sys_socket runs the BPF hook

    // The pair is connected: each holds the other, both SS_CONNECTED / TCP_ESTABLISHED.
    sockmodel::socket& a = socket_of(t, 0);
    sockmodel::socket& b = socket_of(t, 1);
    CHECK(a.state == SS_CONNECTED);
    CHECK(b.state == SS_CONNECTED);
    CHECK(static_cast<unix_sock*>(a.sk)->peer == b.sk);
    CHECK(static_cast<unix_sock*>(b.sk)->peer == a.sk);
    CHECK(a.sk->sk_state == tcp_established_state);
    CHECK(sockmodel::refcount_read(a.sk->sk_refcnt) == 2);  // its socket's, and its peer's sock_hold
    CHECK(sockmodel::refcount_read(b.sk->sk_refcnt) == 2);
    CHECK(k.counters().socks == 2);

    // Close one: it frees nothing yet (the peer still holds its sock).
    sock* ska = a.sk;
    sock* skb = b.sk;
    CHECK(k.close(t, 0) == 0);
    CHECK(k.counters().socks == 2);
    CHECK(sockmodel::refcount_read(ska->sk_refcnt) == 1);
    CHECK(sockmodel::refcount_read(skb->sk_refcnt) == 1);
    CHECK(static_cast<unix_sock*>(skb)->peer == ska);  // the survivor keeps its pointer
    CHECK(k.counters().sockets == 1);
    // Close the other: both socks go (the fixture checks every counter is back to zero).
    k.tracer.clear();
    CHECK(k.close(t, 1) == 0);
    CHECK(traced(k.tracer, "unix_release_sock", "sock_put(unix_peer(sk))"));
    CHECK(k.counters().socks == 0);
}

TEST_CASE_FIXTURE(model_fixture<traced_config>, "unix pair: types, flags and what each fd reads back")
{
    // Live: F_GETFD 1 on both with SOCK_CLOEXEC, F_GETFL 04002 on both with
    // SOCK_NONBLOCK (02 without); SOCK_RAW becomes a DGRAM pair; SEQPACKET works.
    int sv[2] = {};
    REQUIRE(k.socketpair(t, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
    for (int fd : sv) {
        CHECK(k.fcntl(t, fd, F_GETFD) == FD_CLOEXEC);
        CHECK(k.fcntl(t, fd, F_GETFL) == (O_RDWR | O_NONBLOCK));
        int v = 0;
        CHECK(k.getsockopt(t, fd, SOL_SOCKET, SO_TYPE, &v) == 0);
        CHECK(v == SOCK_STREAM);
        CHECK(k.getsockopt(t, fd, SOL_SOCKET, SO_PROTOCOL, &v) == 0);
        CHECK(v == 0);
        CHECK(k.getsockopt(t, fd, SOL_SOCKET, SO_DOMAIN, &v) == 0);
        CHECK(v == AF_UNIX);
    }
    int raw[2] = {};
    REQUIRE(k.socketpair(t, AF_UNIX, SOCK_RAW, AF_UNIX, raw) == 0);
    CHECK(raw[0] == 2);
    CHECK(raw[1] == 3);
    for (int fd : raw) {
        CHECK(k.fcntl(t, fd, F_GETFD) == 0);
        CHECK(k.fcntl(t, fd, F_GETFL) == O_RDWR);
        int v = 0;
        CHECK(k.getsockopt(t, fd, SOL_SOCKET, SO_TYPE, &v) == 0);
        CHECK(v == SOCK_DGRAM);
        CHECK(socket_of(t, fd).state == SS_CONNECTED);  // DGRAM pairs are connected too
    }
    // The two lowest free fds, not necessarily adjacent: with 0..3 open and 1 closed, {1, 4}.
    CHECK(k.close(t, 1) == 0);
    int holes[2] = {};
    REQUIRE(k.socketpair(t, AF_UNIX, SOCK_SEQPACKET, 0, holes) == 0);
    CHECK(holes[0] == 1);
    CHECK(holes[1] == 4);
}

TEST_CASE_FIXTURE(model_fixture<traced_config>, "sock_no_socketpair: two sockets built and torn down, EOPNOTSUPP")
{
    const kernel_counters before = k.counters();
    int sv[2] = {-7, -7};
    k.tracer.clear();
    // Live: AF_INET SOCK_STREAM → EOPNOTSUPP, sv = {8, 9} written (fds 0..7 busy), next socket gets 8.
    CHECK(k.socketpair(t, AF_INET, SOCK_STREAM, 0, sv) == -EOPNOTSUPP);
    CHECK(sv[0] == 0);  // written before the sockets existed, and left there
    CHECK(sv[1] == 1);
    CHECK(children(k.tracer) == strings{"get_unused_fd_flags", "get_unused_fd_flags", "sock_create", "sock_create",
                                        "security_socket_socketpair", "sock_no_socketpair", "sock_release",
                                        "sock_release", "put_unused_fd", "put_unused_fd"});
    CHECK(traced(k.tracer, "tcp_v4_init_sock"));  // a complete TCP sock, twice
    CHECK(traced(k.tracer, "tcp_close"));
    CHECK(k.counters() == before);
    CHECK(t.files->next_fd() == 0);
    CHECK(k.socket(t, AF_UNIX, SOCK_DGRAM, 0) == 0);
}

TEST_CASE_FIXTURE(model_fixture<traced_config>, "errno precedence: flags, then EMFILE, then EFAULT, then create")
{
    // Live (nfree = free fds below RLIMIT_NOFILE): a stray flag bit is EINVAL
    // even with 0 free and a null array; with 0 or 1 free every other input is
    // EMFILE; with 2 free a null or (int*)1 array is EFAULT before any family,
    // type or protocol error; then the create errors.
    resource_limit lim{2, 2};
    int sv[2] = {-7, -7};

    // Stray flag bits: EINVAL before anything.
    REQUIRE(k.setrlimit(t, RLIMIT_NOFILE, &lim) == 0);
    k.tracer.clear();
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM | 0x100, 0, nullptr) == -EINVAL);
    CHECK(children(k.tracer).empty());

    // Two free: the create errors, with the array written.
    CHECK(k.socketpair(t, 999, SOCK_STREAM, 0, sv) == -EAFNOSUPPORT);
    CHECK(k.socketpair(t, -1, SOCK_STREAM, 0, sv) == -EAFNOSUPPORT);
    CHECK(k.socketpair(t, AF_UNIX, 12, 0, sv) == -EINVAL);
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 5, sv) == -EPROTONOSUPPORT);
    CHECK(k.socketpair(t, AF_UNIX, SOCK_RDM, 0, sv) == -ESOCKTNOSUPPORT);
    CHECK(k.socketpair(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP, sv) == -EACCES);  // ping_group_range "1 0"
    CHECK(sv[0] == 0);
    CHECK(sv[1] == 1);
    // A null array: EFAULT after both reservations, before any socket.
    k.tracer.clear();
    CHECK(k.socketpair(t, 999, 12, 0, nullptr) == -EFAULT);
    CHECK(children(k.tracer) == strings{"get_unused_fd_flags", "get_unused_fd_flags", "put_unused_fd", "put_unused_fd"});
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, nullptr) == -EFAULT);

    // One free: EMFILE at the second reservation, the first given back.
    REQUIRE(k.socket(t, AF_UNIX, SOCK_DGRAM, 0) == 0);
    k.tracer.clear();
    CHECK(k.socketpair(t, 999, 12, 0, nullptr) == -EMFILE);
    CHECK(children(k.tracer) == strings{"get_unused_fd_flags", "get_unused_fd_flags", "put_unused_fd"});
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == -EMFILE);
    CHECK(k.socket(t, AF_UNIX, SOCK_DGRAM, 0) == 1);  // fd 1 was given back

    // None free: EMFILE at the first.
    k.tracer.clear();
    CHECK(k.socketpair(t, AF_INET, SOCK_STREAM, 0, sv) == -EMFILE);
    CHECK(children(k.tracer) == strings{"get_unused_fd_flags"});
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM | 0x100, 0, sv) == -EINVAL);
}

TEST_CASE_FIXTURE(model_fixture<lsm_config>, "unwinding: each failure gives back what was taken, counters as before")
{
    using K = kernel<lsm_config>;
    auto& lsm = k.security.get<lsm::settable>();
    // One socket open first, so that a cache limit of n means n objects in use
    // (a limit of 0 is no limit).
    REQUIRE(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == 0);
    const kernel_counters before = k.counters();
    int sv[2] = {};

    auto check_unwound = [&](std::string_view what) {
        CAPTURE(what);
        CHECK(k.counters() == before);
        CHECK(t.files->next_fd() == 1);
    };

    // First sock_create: sock_alloc finds the inode cache full.
    k.sockfs.cache().set_limit(1);
    k.tracer.clear();
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == -ENFILE);
    CHECK(children(k.tracer) == strings{"get_unused_fd_flags", "get_unused_fd_flags", "sock_create", "put_unused_fd",
                                        "put_unused_fd"});
    check_unwound("first sock_create");
    // Second sock_create: the first socket is released.
    k.sockfs.cache().set_limit(2);
    k.tracer.clear();
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == -ENFILE);
    CHECK(children(k.tracer) == strings{"get_unused_fd_flags", "get_unused_fd_flags", "sock_create", "sock_create",
                                        "sock_release", "put_unused_fd", "put_unused_fd"});
    check_unwound("second sock_create");
    k.sockfs.cache().set_limit(0);

    // The proto's slab: sk_alloc fails in unix_create1 (ENOMEM), first and second.
    auto& slab = k.protos.find(unix_stream_proto<K>)->slab;
    slab.set_limit(1);
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == -ENOMEM);
    check_unwound("first sk_alloc");
    slab.set_limit(2);
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == -ENOMEM);
    check_unwound("second sk_alloc");
    slab.set_limit(0);

    // security_socket_socketpair: both sockets released.
    lsm.socketpair_ret = -EACCES;
    k.tracer.clear();
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == -EACCES);
    CHECK(children(k.tracer) == strings{"get_unused_fd_flags", "get_unused_fd_flags", "sock_create", "sock_create",
                                        "security_socket_socketpair", "sock_release", "sock_release",
                                        "put_unused_fd", "put_unused_fd"});
    check_unwound("security_socket_socketpair");
    lsm.socketpair_ret = 0;

    // First sock_alloc_file: it releases sock1 itself; sock2 is released after.
    // The pair is connected by then, so each release drops a peer reference.
    k.files.cache().raw().set_limit(1);
    k.tracer.clear();
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == -ENOMEM);
    CHECK(children(k.tracer) == strings{"get_unused_fd_flags", "get_unused_fd_flags", "sock_create", "sock_create",
                                        "security_socket_socketpair", "unix_socketpair", "sock_alloc_file",
                                        "sock_release", "put_unused_fd", "put_unused_fd"});
    check_unwound("first sock_alloc_file");
    // Second sock_alloc_file: sock2 released inside it, newfile1 fput after `out`.
    k.files.cache().raw().set_limit(2);
    k.tracer.clear();
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == -ENOMEM);
    CHECK(children(k.tracer) == strings{"get_unused_fd_flags", "get_unused_fd_flags", "sock_create", "sock_create",
                                        "security_socket_socketpair", "unix_socketpair", "sock_alloc_file",
                                        "sock_alloc_file", "put_unused_fd", "put_unused_fd", "__fput"});
    check_unwound("second sock_alloc_file");
    k.files.cache().raw().set_limit(0);

    // And with nothing limited, the pair is made on the fds given back each time.
    CHECK(k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(sv[0] == 1);
    CHECK(sv[1] == 2);
}

TEST_CASE("socketpair slots: the unix tables run a function, the others a stub")
{
    using K = kernel<>;
    static_assert(unix_stream_ops<K>.socketpair.run.is_set());
    static_assert(unix_dgram_ops<K>.socketpair.run.is_set());
    static_assert(unix_seqpacket_ops<K>.socketpair.run.is_set());
    static_assert(unix_stream_ops<K>.socketpair.fn == "unix_socketpair");
    static_assert(sock_no_socketpair.no_errno == -EOPNOTSUPP);
    constexpr socketpair_slot named_only{"my_socketpair"};
    static_assert(!named_only.is_set());  // nothing to run: checked_ops refuses the table
    constexpr socketpair_slot stub = sock_no_socketpair;
    static_assert(stub.is_set() && stub.is_stub() && !stub.run.is_set());
    CHECK(stub.fn == "sock_no_socketpair");
}
