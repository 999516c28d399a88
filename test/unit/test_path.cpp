// The socket()/close() path step by step: what each allocator sets up, each
// unwinding label of __sock_create and what it undoes, the families' tables,
// registration, and the descriptor table.
#include "fixture.hpp"
#include "test_family.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <vector>

using namespace sockmodel;

namespace sm = sockmodel;

namespace {

using K = kernel<>;

using traced_config = config<opt::tracer<trace::recorder>>;
using lsm_config = config<opt::security<lsm::chain<lsm::settable>>, opt::tracer<trace::recorder>>;

const sockmodel::socket& socket_of(task_struct& t, int fd)
{
    return *static_cast<const sockmodel::socket*>(t.files->lookup(fd)->private_data);
}

bool traced(const trace::recorder& r, std::string_view fn, std::string_view text_part)
{
    for (const auto& e : r.events)
        if (e.fn == fn && e.text.find(text_part) != std::string::npos)
            return true;
    return false;
}

}  // namespace

// Outside the anonymous namespace: clang would call its variable templates unused.
namespace user_family {

// A family of the user's own, registered at run time as a module would: its
// family module, its ops module and its proto module can be unloaded apart.
inline constexpr module fam_mod{"fam"};
inline constexpr module ops_mod{"fam_ops"};
inline constexpr int af_test = 30;

struct test_sock : sock {
    int cookie = 42;
};

template <class Kern>
inline constexpr proto test_prot{
    .name = "TESTPROTO",
    .owner = &fam_mod,
    .obj = proto_object<test_sock>{},
    .close = &kernel_fn<Kern, &test_family_support::close_nothing<Kern>>::call,
};

template <class Kern>
inline constexpr const proto_ops& test_ops = test_family_support::ops<Kern, af_test, &ops_mod>;
static_assert(checked_ops<&test_ops<K>>::value);

using test_entry = test_family_support::entry;

template <class Kern>
struct test_table {
    static constexpr std::array<test_entry, 1> entries{{{test_prot<Kern>, test_ops<Kern>}}};
};

struct test_family {
    static constexpr int family = af_test;
    static constexpr const module* owner = &fam_mod;
    static constexpr std::string_view create_name = "test_create";
    template <class Kern>
    using protosw = test_table<Kern>;

    template <class Kern>
    static constexpr create_choice choose(const create_context&, int type, int protocol)
    {
        if (protocol != 0)
            return create_choice::fail(-EPROTONOSUPPORT, 1);
        const test_entry& e = test_table<Kern>::entries[0];
        return {0, 2, &e.ops, &e.prot, type, 0, af_test};
    }
    template <class Kern>
    static int construct(context<Kern>& cx, net& n, sockmodel::socket& s, const create_choice& c, int kern)
    {
        s.ops = c.ops;
        sock* sk = sk_alloc(cx, n, af_test, *c.prot, kern);
        if (!sk)
            return -ENOBUFS;
        sock_init_data(cx, &s, *sk);
        return 0;
    }
};
static_assert(protocol_family<test_family, K>);

template <class Kern>
void register_test_family(Kern& k)
{
    REQUIRE(k.template register_family<test_family>() == 0);
}

}  // namespace user_family

using namespace user_family;

TEST_CASE_FIXTURE(model_fixture<>, "sock_alloc: inode number, mode and owner as sockfs sets them")
{
    t.cred = cred::user(1000, 1000);
    t.cred.fsuid = 1234;  // the inode owner is the fs uid, not the uid
    t.cred.fsgid = 4321;
    const int a = k.socket(t, AF_INET, SOCK_STREAM, 0);
    const int b = k.socket(t, AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(a == 0);
    REQUIRE(b == 1);
    sockmodel::socket& sa = const_cast<sockmodel::socket&>(socket_of(t, a));
    inode& ia = SOCK_INODE(sa);
    CHECK(ia.i_ino == 1);  // get_next_ino: pre-incremented, never 0
    CHECK(SOCK_INODE(const_cast<sockmodel::socket&>(socket_of(t, b))).i_ino == 2);
    CHECK(ia.i_mode == 0140777);
    CHECK(ia.i_uid == 1234);
    CHECK(ia.i_gid == 4321);
    CHECK(ia.i_nlink == 1);
    CHECK(&SOCKET_I(ia) == &sa);
    CHECK(sa.sk->sk_uid == 1234);
    CHECK(sa.state == SS_UNCONNECTED);
    CHECK(sa.file->f_dentry_name == "TCP");
    CHECK(socket_of(t, b).file->f_dentry_name == "UNIX");
    CHECK((sa.file->f_mode & FMODE_STREAM) != 0);
    CHECK((sa.file->f_mode & FMODE_LSEEK) == 0);
}

TEST_CASE("get_next_ino hands out batches of 1024 in order")
{
    ino_allocator ino;
    for (unsigned i = 1; i <= 2048; ++i)
        REQUIRE(ino.get_next_ino() == i);
}

TEST_CASE("get_next_ino skips 0 when the 32-bit counter wraps")
{
    ino_allocator ino(0xFFFFFC00U);  // the next batch is the last one below 2^32
    CHECK(ino.get_next_ino() == 0xFFFFFC01U);
    for (unsigned i = 0xFFFFFC02U; i != 0; ++i)
        REQUIRE(ino.get_next_ino() == i);  // up to 0xFFFFFFFF
    CHECK(ino.get_next_ino() == 1);  // 0 is never handed out
}

TEST_CASE_FIXTURE(model_fixture<>, "sock->ops, sk->sk_prot and the file's name per family and type")
{
    struct row {
        int family, type, protocol;
        const proto_ops* ops;
        const proto* prot;
        std::string_view name;
        int so_type, so_protocol;
    };
    const row rows[] = {
        {AF_INET, SOCK_STREAM, 0, &inet_stream_ops<K>, &tcp_prot<K>, "TCP", SOCK_STREAM, IPPROTO_TCP},
        {AF_INET, SOCK_STREAM, IPPROTO_MPTCP, &mptcp_stream_ops<K>, &mptcp_prot<K>, "MPTCP", SOCK_STREAM, IPPROTO_MPTCP},
        {AF_INET, SOCK_DGRAM, 0, &inet_dgram_ops<K>, &udp_prot<K>, "UDP", SOCK_DGRAM, IPPROTO_UDP},
        {AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, &inet_dgram_ops<K>, &udplite_prot<K>, "UDP-Lite", SOCK_DGRAM, IPPROTO_UDPLITE},
        {AF_INET, SOCK_RAW, IPPROTO_ICMP, &inet_sockraw_ops<K>, &raw_prot<K>, "RAW", SOCK_RAW, IPPROTO_ICMP},
        {AF_INET, SOCK_RAW, IPPROTO_RAW, &inet_sockraw_ops<K>, &raw_prot<K>, "RAW", SOCK_RAW, IPPROTO_RAW},
        {AF_UNIX, SOCK_STREAM, 0, &unix_stream_ops<K>, &unix_stream_proto<K>, "UNIX-STREAM", SOCK_STREAM, 0},
        {AF_UNIX, SOCK_DGRAM, 1, &unix_dgram_ops<K>, &unix_dgram_proto<K>, "UNIX", SOCK_DGRAM, 0},
        {AF_UNIX, SOCK_RAW, 0, &unix_dgram_ops<K>, &unix_dgram_proto<K>, "UNIX", SOCK_DGRAM, 0},
        {AF_UNIX, SOCK_SEQPACKET, 0, &unix_seqpacket_ops<K>, &unix_dgram_proto<K>, "UNIX", SOCK_SEQPACKET, 0},
    };
    for (const row& r : rows) {
        CAPTURE(r.name);
        const int fd = k.socket(t, r.family, r.type, r.protocol);
        REQUIRE(fd >= 0);
        const sockmodel::socket& s = socket_of(t, fd);
        CHECK(s.ops == r.ops);
        CHECK(s.sk->sk_prot == r.prot);
        CHECK(s.file->f_dentry_name == r.name);
        int v = -1;
        CHECK(k.getsockopt(t, fd, SOL_SOCKET, SO_TYPE, &v) == 0);
        CHECK(v == r.so_type);
        CHECK(k.getsockopt(t, fd, SOL_SOCKET, SO_PROTOCOL, &v) == 0);
        CHECK(v == r.so_protocol);
        CHECK(k.getsockopt(t, fd, SOL_SOCKET, SO_DOMAIN, &v) == 0);
        CHECK(v == r.family);
        CHECK(k.close(t, fd) == 0);
    }
    // Raw sockets are hashed at create: the RAW protocol counts them, and
    // IPPROTO_RAW implies IP_HDRINCL.
    const int raw = k.socket(t, AF_INET, SOCK_RAW, IPPROTO_RAW);
    const auto& in = static_cast<const inet_sock&>(*socket_of(t, raw).sk);
    CHECK(in.hdrincl);
    CHECK(in.inet_num == IPPROTO_RAW);
    CHECK(in.inet_sport == cpu_to_be16(IPPROTO_RAW));
    const auto raw_idx = static_cast<std::size_t>(k.protos.find(raw_prot<K>)->inuse_idx);
    CHECK(k.init_net.prot_inuse[raw_idx].counter == 1);
    CHECK(k.close(t, raw) == 0);
    CHECK(k.init_net.prot_inuse[raw_idx].counter == 0);
}

TEST_CASE_FIXTURE(model_fixture<>, "module references follow open sockets and come back to zero")
{
    const int a = k.socket(t, AF_UNIX, SOCK_STREAM, 0);
    const int b = k.socket(t, AF_UNIX, SOCK_DGRAM, 0);
    // Each socket holds its ops owner (sock->ops) and its proto owner (sk_prot).
    CHECK(k.modules.refcount(&unix_module) == 4);
    CHECK(k.family_state<unix_family>().unix_nr_socks.counter == 2);
    CHECK(k.init_net.sock_inuse.counter == 2);
    CHECK(k.close(t, a) == 0);
    CHECK(k.modules.refcount(&unix_module) == 2);
    CHECK(k.close(t, b) == 0);
    CHECK(k.modules.refcount(&unix_module) == 0);
    CHECK(k.family_state<unix_family>().unix_nr_socks.counter == 0);
}

TEST_CASE_FIXTURE(model_fixture<traced_config>, "out_release: an unregistered family frees only the inode")
{
    k.sock_unregister(AF_UNIX);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == -EAFNOSUPPORT);
    CHECK(traced(k.tracer, "__sock_create", "goto out_release"));
    CHECK(k.counters() == kernel_counters{});
    CHECK(k.sock_register(&family_ops<kernel<traced_config>, unix_family>) == 0);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == 0);
}

TEST_CASE_FIXTURE(model_fixture<traced_config>, "out_release: try_module_get(pf->owner) fails while the module unloads")
{
    k.modules.set_state(&unix_module, module_state::going);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == -EAFNOSUPPORT);
    CHECK(traced(k.tracer, "__sock_create", "try_module_get(pf->owner) failed"));
    k.modules.set_state(&unix_module, module_state::live);
}

TEST_CASE("a user family registered at run time, and out_module_busy (which leaks sock->sk, as the kernel does)")
{
    using KT = kernel<traced_config>;
    KT k;
    task_struct& t = k.spawn();
    CHECK(k.socket(t, af_test, SOCK_DGRAM, 0) == -EAFNOSUPPORT);
    register_test_family(k);
    CHECK(k.sock_register(&family_ops<KT, test_family>) == -EEXIST);

    const int fd = k.socket(t, af_test, SOCK_DGRAM, 0);
    REQUIRE(fd == 0);
    CHECK(socket_of(t, fd).file->f_dentry_name == "TESTPROTO");
    CHECK(k.modules.refcount(&fam_mod) == 1);  // the sk's proto; pf->owner was put back
    CHECK(k.modules.refcount(&ops_mod) == 1);
    CHECK(k.socket(t, af_test, SOCK_DGRAM, 7) == -EPROTONOSUPPORT);
    CHECK(k.close(t, fd) == 0);

    // The ops module is going: create succeeds, then try_module_get(ops->owner)
    // fails. out_module_busy NULLs sock->ops before sock_release, so ops->release
    // never runs: the socket and its inode go, the sk built by create stays
    // allocated with its proto module and netns references. That is what
    // net/socket.c does; it needs an ops owner other than the family's owner.
    k.tracer.clear();
    k.modules.set_state(&ops_mod, module_state::going);
    CHECK(k.socket(t, af_test, SOCK_DGRAM, 0) == -EAFNOSUPPORT);
    CHECK(traced(k.tracer, "__sock_create", "goto out_module_busy"));
    CHECK(traced(k.tracer, "__sock_create", "sock->sk is left allocated"));
    kernel_counters leaked;
    leaked.socks = 1;
    leaked.module_refs = 1;
    leaked.net_refs = 1;
    leaked.sock_inuse = 1;
    CHECK(k.counters() == leaked);
    k.modules.set_state(&ops_mod, module_state::live);
    k.sock_unregister(af_test);
    CHECK(k.socket(t, af_test, SOCK_DGRAM, 0) == -EAFNOSUPPORT);
}

TEST_CASE_FIXTURE(model_fixture<traced_config>, "sock_register and sock_unregister answer as net/socket.c does")
{
    static constexpr net_proto_family too_far{.family = 46};
    CHECK(k.sock_register(&too_far) == -ENOBUFS);
    CHECK(k.sock_register(&family_ops<kernel<traced_config>, inet_family>) == -EEXIST);
    CHECK(traced(k.tracer, "sock_register", "NET: Registered AF_INET protocol family"));
    static constexpr net_proto_family negative{.family = -1};
    CHECK_THROWS_AS(k.sock_register(&negative), sm::bug_error);
    CHECK_THROWS_AS(k.sock_unregister(46), sm::bug_error);
}

TEST_CASE_FIXTURE(model_fixture<lsm_config>, "LSM hooks: create refuses before anything exists, post_create after everything")
{
    auto& lsm = k.security.get<lsm::settable>();
    lsm.create_ret = -EACCES;
    // The LSM runs before the family lookup, so it beats EAFNOSUPPORT.
    CHECK(k.socket(t, 45, SOCK_DGRAM, 0) == -EACCES);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -EACCES);
    CHECK(k.sockfs.cache().active_objs() == 0);
    CHECK(traced(k.tracer, "security_socket_create", "settable: EACCES"));

    lsm.create_ret = 0;
    lsm.post_create_ret = -EPERM;
    k.tracer.clear();
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -EPERM);
    CHECK(traced(k.tracer, "__sock_create", "goto out_sock_release"));
    CHECK(traced(k.tracer, "__sock_release", "inet_stream_ops->release"));  // a full teardown
    CHECK(k.counters() == kernel_counters{});
    lsm.post_create_ret = 0;
}

TEST_CASE_FIXTURE(model_fixture<traced_config>, "allocation failures: ENFILE from sock_alloc, ENOMEM from sk_alloc and the file")
{
    k.sockfs.cache().set_limit(1);
    REQUIRE(k.socket(t, AF_INET, SOCK_STREAM, 0) == 0);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -ENFILE);  // "socket: no more sockets"
    k.sockfs.cache().set_limit(0);
    CHECK(k.close(t, 0) == 0);

    k.protos.find(tcp_prot<kernel<traced_config>>)->slab.set_limit(1);
    REQUIRE(k.socket(t, AF_INET, SOCK_STREAM, 0) == 0);
    k.tracer.clear();
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -ENOMEM);
    CHECK(traced(k.tracer, "__sock_create", "goto out_module_put"));
    k.protos.find(tcp_prot<kernel<traced_config>>)->slab.set_limit(0);
    CHECK(k.close(t, 0) == 0);

    // sock_alloc_file fails after the fd is reserved: the socket is released
    // inside it and the fd goes back (put_unused_fd), so the next socket reuses it.
    k.files.cache().raw().set_limit(1);
    REQUIRE(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == 0);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == -ENOMEM);
    CHECK(t.files->next_fd() == 1);
    k.files.cache().raw().set_limit(0);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == 1);

    // file-max: ENFILE unless CAP_SYS_ADMIN.
    k.files.set_max_files(2);
    t.cred = cred::user();
    CHECK(k.socket(t, AF_INET, SOCK_DGRAM, 0) == -ENFILE);
    t.cred = cred::root();
    CHECK(k.socket(t, AF_INET, SOCK_DGRAM, 0) == 2);
    // unix_create1: more than 2 * file-max unix sockets is ENFILE (2 are open).
    k.files.set_max_files(1);
    CHECK(k.socket(t, AF_UNIX, SOCK_DGRAM, 0) == -ENFILE);
    k.files.set_max_files(1L << 24);
}

TEST_CASE_FIXTURE(model_fixture<>, "ping_group_range and CAP_NET_RAW")
{
    CHECK(k.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP) == -EACCES);  // even root: no bypass
    k.init_net.sysctl.ping_group_range = {100, 200};
    t.cred = cred::user(1000, 1000);
    CHECK(k.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP) == -EACCES);
    t.cred = cred::user(1000, 1000).with_groups({5, 150});  // a supplementary group suffices
    const int fd = k.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    CHECK(fd == 0);
    CHECK(socket_of(t, fd).file->f_dentry_name == "PING");
    CHECK(k.socket(t, AF_INET, SOCK_RAW, IPPROTO_ICMP) == -EPERM);
    CHECK(k.socket(t, AF_INET, SOCK_RAW, 0) == -EPROTONOSUPPORT);  // the lookup comes first
    t.cred.cap_effective.raise(capability::net_raw);
    CHECK(k.socket(t, AF_INET, SOCK_RAW, IPPROTO_ICMP) == 1);
    k.init_net.sysctl.mptcp_enabled = false;
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, IPPROTO_MPTCP) == -ENOPROTOOPT);
}

TEST_CASE_FIXTURE(model_fixture<>, "threads share a descriptor table; the last one out closes it")
{
    task_struct& thread = k.clone_thread(t);
    const int fd = k.socket(thread, AF_INET, SOCK_STREAM, 0);
    CHECK(fd == 0);
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == 1);
    CHECK(k.fcntl(t, fd, F_GETFL) == O_RDWR);
    k.exit(thread);
    CHECK(k.counters().files == 2);
    CHECK(k.close(t, fd) == 0);
}

TEST_CASE_FIXTURE(model_fixture<>, "dup shares the file; the socket lives until the last descriptor closes")
{
    const int fd = k.socket(t, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    CHECK(k.fcntl(t, fd, F_GETFD) == FD_CLOEXEC);
    CHECK(k.fcntl(t, fd, F_GETFL) == (O_RDWR | O_NONBLOCK));
    const int d = k.dup(t, fd);
    CHECK(d == 1);
    CHECK(k.fcntl(t, d, F_GETFD) == 0);
    CHECK(k.close(t, fd) == 0);
    CHECK(k.counters().socks == 1);
    int v = 0;
    CHECK(k.getsockopt(t, d, SOL_SOCKET, SO_PROTOCOL, &v) == 0);
    CHECK(v == IPPROTO_UDP);
    CHECK(k.close(t, d) == 0);
    CHECK(k.close(t, d) == -EBADF);
    CHECK(k.dup(t, d) == -EBADF);
    CHECK(k.fcntl(t, d, F_GETFD) == -EBADF);
    CHECK(k.getsockopt(t, -1, SOL_SOCKET, SO_TYPE, &v) == -EBADF);
}

TEST_CASE("the fd table: growth steps, RLIMIT before growth, nr_open, and a million descriptors")
{
    files_struct files;
    CHECK(files.fdt().max_fds == 64);
    for (int i = 0; i < 64; ++i)
        REQUIRE(files.alloc_fd(0, 1u << 20, false, 1u << 20, false) == i);
    CHECK(files.fdt().max_fds == 64);
    CHECK(files.alloc_fd(0, 1u << 20, false, 1u << 20, false) == 64);
    CHECK(files.fdt().max_fds == 128);  // roundup_pow_of_two(64 + 1)
    CHECK(files.alloc_fd(0, 65, false, 1u << 20, false) == -EMFILE);  // the rlimit, before any growth
    CHECK(files.stats().rcu_grace_periods == 0);

    files_struct shared;
    for (int i = 0; i < 65; ++i)
        REQUIRE(shared.alloc_fd(0, 1000, false, 1000, true) == i);
    CHECK(shared.stats().rcu_grace_periods == 1);  // a shared table waits for readers

    // nr_open caps growth even when the rlimit allows more.
    files_struct capped;
    for (int i = 0; i < 64; ++i)
        REQUIRE(capped.alloc_fd(0, 1000, false, 64, false) == i);
    CHECK(capped.alloc_fd(0, 1000, false, 64, false) == -EMFILE);

    files_struct big;
    constexpr int n = 1'000'000;
    for (int i = 0; i < n; ++i)
        REQUIRE(big.alloc_fd(0, 1u << 20, false, 1u << 20, false) == i);
    CHECK(big.fdt().max_fds == 1u << 20);
    big.put_unused_fd(123'456);
    big.put_unused_fd(999'999);
    CHECK(big.alloc_fd(0, 1u << 20, false, 1u << 20, false) == 123'456);
    CHECK(big.alloc_fd(0, 1u << 20, false, 1u << 20, false) == 999'999);
    CHECK(big.alloc_fd(0, 1u << 20, false, 1u << 20, false) == n);
    CHECK(big.open_count() == n + 1);
}
