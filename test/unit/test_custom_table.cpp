// An AF_INET-style family over a protocol table of the user's own: some of
// the library's protos (tcp_prot, udp_prot, ping_prot, raw_prot) beside a
// proto the test defines (its object type derives from inet_sock, its init
// can refuse through .init_check, its ops table is written with designated
// initializers). For every (family, type with flags, protocol, credentials)
// the constexpr verdict and the run-time k.socket() must agree, and once
// everything is closed and every task has exited every counter is zero.
//
// Ground truth: the verdict and k.socket() are both the model, so most of
// this file is an agreement test. Where the custom table holds the same
// entries as the real inetsw (TCP, UDP, ping, raw) the expected answers are
// the live kernel's: the test case "live kernel agrees on the shared
// entries" opens those sockets on the running kernel in the same run and
// compares, and the static_asserts below name the live answers they were
// checked against (socket(AF_INET, ...) on this 6.18 host, unprivileged).
// Needs no root.

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <vector>


namespace {

using namespace sockmodel;

// ---------------------------------------------------------------------------
// The user's own proto: "BLUE", protocol 253 (IANA's experimental number,
// which no inetsw entry of the host kernel uses).

constexpr int ipproto_blue = 253;

struct blue_sock : inet_sock {
    int colour = 0;
    bool initialised = false;
};

// The part of blue's init that can refuse: CAP_NET_ADMIN is required.
constexpr int blue_init_check(const net_sysctl&, const cred& c)
{
    return capable(c, capability::net_admin) ? 0 : -EACCES;
}

template <class K>
int blue_init(context<K>& cx, sock& sk)
{
    if (int err = blue_init_check(sk.sk_net->sysctl, cx.current.cred))
        return err;
    auto& b = static_cast<blue_sock&>(sk);
    b.colour = 0x0000ff;
    b.initialised = true;
    return 0;
}

template <class K>
void blue_close(context<K>& cx, sock& sk, long)
{
    sk_common_release(cx, sk);
}

template <class K>
inline constexpr proto blue_prot{
    .name = "BLUE",
    .obj = proto_object<blue_sock>{},
    .init = &kernel_fn<K, &blue_init<K>>::call,
    .init_check = &blue_init_check,
    .close = &kernel_fn<K, &blue_close<K>>::call,
};

template <class K>
inline constexpr proto_ops blue_ops{
    .family = af_inet,
    .name = "blue_ops",
    .release = &kernel_fn<K, &inet_release<K>>::call,
    .bind = {"inet_bind"},
    .connect = {"inet_dgram_connect"},
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"inet_getname"},
    .poll = {"datagram_poll"},
    .ioctl = {"inet_ioctl"},
    .listen = sock_no_listen,
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"blue_sendmsg"},
    .recvmsg = {"blue_recvmsg"},
    .mmap = sock_no_mmap,
};

// The user's inetsw: TCP, UDP and ping as the kernel has them, BLUE on
// SOCK_SEQPACKET for its own number, BLUE again as the wildcard (protocol 0)
// of SOCK_RDM, and the raw wildcard.
template <class K>
struct my_inetsw {
    using abi = typename K::abi;
    static constexpr std::array<inet_protosw, 6> entries{{
        {.type = abi::sock_stream, .protocol = ipproto_tcp, .prot = tcp_prot<K>, .ops = inet_stream_ops<K>,
         .flags = INET_PROTOSW_PERMANENT | INET_PROTOSW_ICSK},
        {.type = abi::sock_dgram, .protocol = ipproto_udp, .prot = udp_prot<K>, .ops = inet_dgram_ops<K>,
         .flags = INET_PROTOSW_PERMANENT},
        {.type = abi::sock_dgram, .protocol = ipproto_icmp, .prot = ping_prot<K>, .ops = inet_sockraw_ops<K>,
         .flags = INET_PROTOSW_REUSE},
        {.type = abi::sock_seqpacket, .protocol = ipproto_blue, .prot = blue_prot<K>, .ops = blue_ops<K>},
        {.type = abi::sock_rdm, .protocol = 0, .prot = blue_prot<K>, .ops = blue_ops<K>},
        {.type = abi::sock_raw, .protocol = ipproto_ip, .prot = raw_prot<K>, .ops = inet_sockraw_ops<K>,
         .flags = INET_PROTOSW_REUSE},
    }};
};

// Tables the compile-time rules must reject (inet_register_protosw's checks).
template <class K>
struct table_type_too_big {
    using abi = typename K::abi;
    static constexpr std::array<inet_protosw, 1> entries{{
        {.type = abi::sock_max, .protocol = ipproto_blue, .prot = blue_prot<K>, .ops = blue_ops<K>},
    }};
};
template <class K>
struct table_negative_type {
    static constexpr std::array<inet_protosw, 1> entries{{
        {.type = -1, .protocol = ipproto_blue, .prot = blue_prot<K>, .ops = blue_ops<K>},
    }};
};
template <class K>
struct table_two_permanent {
    using abi = typename K::abi;
    static constexpr std::array<inet_protosw, 2> entries{{
        {.type = abi::sock_dgram, .protocol = ipproto_udp, .prot = udp_prot<K>, .ops = inet_dgram_ops<K>,
         .flags = INET_PROTOSW_PERMANENT},
        {.type = abi::sock_dgram, .protocol = ipproto_udp, .prot = blue_prot<K>, .ops = blue_ops<K>,
         .flags = INET_PROTOSW_PERMANENT},
    }};
};
// A permanent entry and a non-permanent one for the same pair pass: the
// kernel refuses only a second permanent entry (inet_register_protosw adds
// the other behind the permanent one, which keeps answering first).
template <class K>
struct table_one_permanent_one_not {
    using abi = typename K::abi;
    static constexpr std::array<inet_protosw, 2> entries{{
        {.type = abi::sock_dgram, .protocol = ipproto_udp, .prot = udp_prot<K>, .ops = inet_dgram_ops<K>,
         .flags = INET_PROTOSW_PERMANENT},
        {.type = abi::sock_dgram, .protocol = ipproto_udp, .prot = blue_prot<K>, .ops = blue_ops<K>},
    }};
};

template <class K>
inline constexpr proto_ops ops_missing_mmap{
    .family = af_inet,
    .name = "ops_missing_mmap",
    .release = &kernel_fn<K, &inet_release<K>>::call,
    .bind = {"inet_bind"},
    .connect = {"inet_dgram_connect"},
    .socketpair = sock_no_socketpair,
    .accept = sock_no_accept,
    .getname = {"inet_getname"},
    .poll = {"datagram_poll"},
    .ioctl = {"inet_ioctl"},
    .listen = sock_no_listen,
    .shutdown = {"inet_shutdown"},
    .setsockopt = {"sock_common_setsockopt"},
    .getsockopt = {"sock_common_getsockopt"},
    .sendmsg = {"inet_sendmsg"},
    .recvmsg = {"inet_recvmsg"},
};
template <class K>
struct table_incomplete_ops {
    using abi = typename K::abi;
    static constexpr std::array<inet_protosw, 1> entries{{
        {.type = abi::sock_dgram, .protocol = ipproto_blue, .prot = blue_prot<K>, .ops = ops_missing_mmap<K>},
    }};
};

using my_inet = inet_family_t<my_inetsw>;
using my_config = config<opt::families<unix_family, my_inet>>;
using K = kernel<my_config>;
using abi = K::abi;

static_assert(is_config<my_config>);
static_assert(protocol_family<my_inet, K>);
static_assert(protosw_valid<abi, my_inetsw<K>>());
static_assert(!protosw_valid<abi, table_type_too_big<K>>());
static_assert(!protosw_types_below_max<abi, table_type_too_big<K>>());
static_assert(!protosw_valid<abi, table_negative_type<K>>());
static_assert(!protosw_valid<abi, table_two_permanent<K>>());
static_assert(!protosw_permanent_unique<table_two_permanent<K>>());
static_assert(protosw_valid<abi, table_one_permanent_one_not<K>>());
static_assert(!protosw_valid<abi, table_incomplete_ops<K>>());
static_assert(!protosw_ops_complete<table_incomplete_ops<K>>());

constexpr socket_verdict verdict(const cred& c, int family, int type, int protocol)
{
    return socket_verdict_for<K>(net_sysctl{}, c, family, type, protocol);
}

// The entries shared with the real inetsw; each was checked against the live
// kernel (socket(2) on this 6.18 host, as uid 65534 and as root) and the
// test case "live kernel agrees on the shared entries" repeats the check.
static_assert(verdict(cred::root(), AF_INET, SOCK_STREAM, 0).err == 0);
static_assert(verdict(cred::root(), AF_INET, SOCK_STREAM, 0).protocol == IPPROTO_TCP);  // live: SO_PROTOCOL 6
static_assert(verdict(cred::root(), AF_INET, SOCK_STREAM, 0).prot == &tcp_prot<K>);
static_assert(verdict(cred::root(), AF_INET, SOCK_DGRAM, 0).protocol == IPPROTO_UDP);  // live: 17, the first entry
static_assert(verdict(cred::user(), AF_INET, SOCK_RAW, IPPROTO_ICMP).err == -EPERM);    // live: EPERM as 65534
static_assert(verdict(cred::root(), AF_INET, SOCK_RAW, 0).err == -EPROTONOSUPPORT);    // live: EPROTONOSUPPORT
static_assert(verdict(cred::root(), AF_INET, SOCK_RAW, IPPROTO_RAW).protocol == IPPROTO_RAW);  // live: 255
static_assert(verdict(cred::root(), AF_INET, SOCK_STREAM, IPPROTO_UDP).err == -EPROTONOSUPPORT);  // live: same
static_assert(verdict(cred::root(), AF_INET, SOCK_STREAM, IPPROTO_MAX).err == -EINVAL);  // live: EINVAL (263)
static_assert(verdict(cred::root(), AF_INET, SOCK_STREAM, -1).err == -EINVAL);           // live: EINVAL
// ping_group_range "1 0" of a new netns (the model's init_net): EACCES for
// everyone, root included (live: in a fresh netns as root, EACCES).
static_assert(verdict(cred::root(), AF_INET, SOCK_DGRAM, IPPROTO_ICMP).err == -EACCES);
static_assert(verdict(cred::root(), AF_INET, SOCK_DGRAM, IPPROTO_ICMP).where == "inet_create");
// (AF_INET, SOCK_PACKET) is rewritten to AF_PACKET (live, as root: a socket
// with SO_DOMAIN 17); this configuration registers no AF_PACKET, so the
// model's answer is __sock_create's EAFNOSUPPORT.
static_assert(verdict(cred::root(), AF_INET, SOCK_PACKET, 0).err == -EAFNOSUPPORT);

// The custom entries: only the model can answer for them.
static_assert(verdict(cred::root(), AF_INET, SOCK_SEQPACKET, 0).protocol == ipproto_blue);
static_assert(verdict(cred::root(), AF_INET, SOCK_SEQPACKET, 0).prot == &blue_prot<K>);
static_assert(verdict(cred::root(), AF_INET, SOCK_SEQPACKET, 0).ops == &blue_ops<K>);
static_assert(verdict(cred::user(), AF_INET, SOCK_SEQPACKET, ipproto_blue).err == -EACCES);  // blue's init_check
static_assert(verdict(cred::user(), AF_INET, SOCK_SEQPACKET, ipproto_blue).where == "inet_create");
static_assert(verdict(cred::user().with_caps(kernel_cap_t{}.raise(capability::net_admin)), AF_INET,
                      SOCK_SEQPACKET, ipproto_blue)
                  .err == 0);
static_assert(verdict(cred::root(), AF_INET, SOCK_SEQPACKET, IPPROTO_TCP).err == -EPROTONOSUPPORT);
static_assert(verdict(cred::root(), AF_INET, SOCK_RDM, 0).err == -EPROTONOSUPPORT);  // a wildcard needs a number
static_assert(verdict(cred::root(), AF_INET, SOCK_RDM, 262).protocol == 262);          // the wildcard takes any
static_assert(verdict(cred::root(), AF_INET, SOCK_DCCP, 0).err == -ESOCKTNOSUPPORT);   // no entry for the type
static_assert(verdict(cred::root(), AF_INET, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, ipproto_blue).f_flags ==
              (O_RDWR | O_NONBLOCK));
static_assert(verdict(cred::root(), AF_INET, SOCK_SEQPACKET | SOCK_CLOEXEC, ipproto_blue).cloexec);

struct outcome {
    int ret;  // fd, or -errno
    int so_type = 0, so_protocol = 0, so_domain = 0;
    int getfl = 0, getfd = 0;
};

int read_opt(K& k, task_struct& t, int fd, int opt)
{
    int v = -12345;
    const int r = k.getsockopt(t, fd, abi::sol_socket, opt, &v);
    REQUIRE(r == 0);
    return v;
}

}  // namespace

TEST_CASE("custom inetsw: verdict and socket() agree for every type, flag, protocol and credential")
{
    K k;
    const std::array<int, 3> families{AF_UNIX, AF_INET, AF_INET6};
    const std::array<int, 10> protocols{-1, 0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, ipproto_blue,
                                        IPPROTO_RAW, 256, 262, 263};
    const std::array<int, 5> flag_sets{0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC, 0x10};
    const std::array<cred, 2> creds{cred::root(), cred::user()};

    std::size_t compared = 0, opened = 0;
    std::array<std::size_t, 2> opened_by_cred{};
    for (std::size_t ci = 0; ci < creds.size(); ++ci) {
        task_struct& t = k.spawn(creds[ci]);
        std::vector<int> fds;
        for (int family : families)
            for (int base = 0; base < 16; ++base)
                for (int flags : flag_sets)
                    for (int protocol : protocols) {
                        const int type = base | flags;
                        const socket_verdict v =
                            socket_verdict_for<K>(k.init_net.sysctl, creds[ci], family, type, protocol);
                        const int fd = k.socket(t, family, type, protocol);
                        CAPTURE(ci);
                        CAPTURE(family);
                        CAPTURE(type);
                        CAPTURE(protocol);
                        ++compared;
                        if (v.err) {
                            CHECK(fd == v.err);
                            continue;
                        }
                        REQUIRE(fd >= 0);
                        fds.push_back(fd);
                        ++opened;
                        ++opened_by_cred[ci];
                        CHECK(read_opt(k, t, fd, abi::so_type) == v.type);
                        CHECK(read_opt(k, t, fd, abi::so_protocol) == v.protocol);
                        CHECK(read_opt(k, t, fd, abi::so_domain) == v.family);
                        CHECK(k.fcntl(t, fd, f_getfl) == v.f_flags);
                        CHECK(k.fcntl(t, fd, f_getfd) == (v.cloexec ? fd_cloexec_flag : 0));
                        // The type is the masked one, but for AF_UNIX's SOCK_RAW, which
                        // unix_create turns into SOCK_DGRAM (live: SO_TYPE 2 for
                        // socket(AF_UNIX, SOCK_RAW, 0), see test_differential).
                        CHECK(v.type == (family == AF_UNIX && base == SOCK_RAW ? SOCK_DGRAM : base));
                    }
        CHECK(k.counters().open_fds == fds.size());
        for (int fd : fds)
            CHECK(k.close(t, fd) == 0);
    }
    MESSAGE("custom inetsw: " << compared << " (family, type, protocol, cred) compared, " << opened << " opened");
    // root: every success of the user plus raw and blue; the user none of those.
    CHECK(opened_by_cred[0] > opened_by_cred[1]);
    CHECK(opened_by_cred[1] > 0);
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}

TEST_CASE("custom inetsw: blue sockets are blue_sock objects initialised by blue_init")
{
    K k;
    task_struct& root = k.spawn();
    task_struct& admin = k.spawn(cred::user().with_caps(kernel_cap_t{}.raise(capability::net_admin)));
    task_struct& nobody = k.spawn(cred::user());

    const int a = k.socket(root, AF_INET, SOCK_SEQPACKET, 0);
    const int b = k.socket(admin, AF_INET, SOCK_RDM, 256);
    CHECK(a == 0);
    CHECK(b == 0);  // each task has a table of its own
    CHECK(k.socket(nobody, AF_INET, SOCK_SEQPACKET, 0) == -EACCES);
    CHECK(k.socket(nobody, AF_INET, SOCK_RDM, 256) == -EACCES);
    CHECK(read_opt(k, admin, b, abi::so_protocol) == 256);
    CHECK(read_opt(k, admin, b, abi::so_type) == SOCK_RDM);

    // Each refusal freed what it allocated: two socks, two sockets, two files.
    const kernel_counters c = k.counters();
    CHECK(c.socks == 2);
    CHECK(c.sockets == 2);
    CHECK(c.files == 2);
    CHECK(c.open_fds == 2);
    CHECK(c.nr_files == 2);
    CHECK(c.sock_inuse == 2);

    // Blue's objects come from its own cache, of its own size.
    bool found = false;
    for (const auto& ps : k.protos.all())
        if (ps->prot == &blue_prot<K>) {
            found = true;
            CHECK(ps->slab.active_objs() == 2);
        }
    CHECK(found);

    CHECK(k.close(root, a) == 0);
    CHECK(k.close(admin, b) == 0);
    CHECK(k.close(admin, b) == -EBADF);
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}

TEST_CASE("custom inetsw: live kernel agrees on the shared entries")
{
    // The entries my_inetsw copies from inetsw must answer as the running
    // kernel does; these need no privilege (TCP, UDP, and the two errors).
    struct probe {
        int type, protocol;
    };
    const probe probes[] = {
        {SOCK_STREAM, 0},           {SOCK_STREAM, IPPROTO_TCP}, {SOCK_DGRAM, 0},
        {SOCK_DGRAM, IPPROTO_UDP},  {SOCK_STREAM, IPPROTO_UDP}, {SOCK_DGRAM, IPPROTO_TCP},
        {SOCK_STREAM, -1},          {SOCK_STREAM, 263},         {SOCK_RAW, 0},
        {SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0},        {SOCK_DGRAM | 0x10, 0},
    };
    K k;
    task_struct& t = k.spawn(geteuid() == 0 ? cred::root() : cred::user());
    for (const probe& p : probes) {
        CAPTURE(p.type);
        CAPTURE(p.protocol);
        const int live = ::socket(AF_INET, p.type, p.protocol);
        const int live_ret = live < 0 ? -errno : 0;
        const int fd = k.socket(t, AF_INET, p.type, p.protocol);
        CHECK((fd < 0 ? fd : 0) == live_ret);
        if (live >= 0 && fd >= 0) {
            int v = 0;
            socklen_t len = sizeof v;
            REQUIRE(::getsockopt(live, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0);
            CHECK(read_opt(k, t, fd, abi::so_protocol) == v);
            REQUIRE(::getsockopt(live, SOL_SOCKET, SO_TYPE, &v, &len) == 0);
            CHECK(read_opt(k, t, fd, abi::so_type) == v);
            CHECK(k.fcntl(t, fd, f_getfl) == ::fcntl(live, F_GETFL));
            CHECK(k.fcntl(t, fd, f_getfd) == ::fcntl(live, F_GETFD));
        }
        if (live >= 0)
            ::close(live);
        if (fd >= 0)
            CHECK(k.close(t, fd) == 0);
    }
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}
