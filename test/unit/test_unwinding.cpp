// Every failure survived: for every (family, type, protocol, credential) that
// socket() accepts in the model (the successes of socket_grid(), without
// flag bits, as root and as nobody) and every fault point that call passes
// through (counted by running it once), inject a failure at that point and
// check that socket() returns the errno the kernel returns for it and that
// every resource counter is back to its value before the call.
//
// The errnos come from the kernel source (6.18), each cited with the function
// and the label its error path takes; which points a call passes is the
// model's (the order is checked against the kernel by test/golden/inject_*).
#include <fixture.hpp>
#include <live_kernel.hpp>

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace sm = sockmodel;
namespace lk = live_kernel;

namespace {

using K = sm::kernel<sm::config<sm::opt::faults<sm::fault::inject>>>;

// Everything the call may take, counted in detail.
struct snapshot {
    sm::kernel_counters totals;
    std::vector<std::size_t> proto_slabs;  // objects in use per proto slab
    std::vector<long> module_refs;         // per module
    std::vector<long> prot_inuse;          // init_net's per-proto in-use counts
    std::size_t sockfs_objs = 0, filp_objs = 0;
    unsigned next_fd = 0;
    std::vector<unsigned long> open_fds;

    friend bool operator==(const snapshot&, const snapshot&) = default;
};

snapshot take(K& k, const sm::task_struct& t)
{
    snapshot s;
    s.totals = k.counters();
    for (const auto& p : k.protos.all())
        s.proto_slabs.push_back(p->slab.active_objs());
    for (const auto& e : k.modules.entries())
        s.module_refs.push_back(e.refcnt.counter);
    for (const auto& v : k.init_net.prot_inuse)
        s.prot_inuse.push_back(v.counter);
    s.sockfs_objs = k.sockfs.cache().active_objs();
    s.filp_objs = k.files.cache().raw().active_objs();
    s.next_fd = t.files->next_fd();
    s.open_fds = t.files->fdt().open_fds;
    return s;
}

// What socket() returns when `p` fails, for a call on `family`; with the
// kernel function and label that produce it.
struct expectation {
    int err;
    std::string why;
};

expectation expected(const sm::fault_point_info& p, int family)
{
    namespace fp = sm::fault_point;
    const auto is = [&](const sm::fault_point_info& q) { return &p == &q; };
    if (is(fp::security_socket_create))
        return {-EACCES, "__sock_create: security_socket_create's answer is returned before sock_alloc (nothing taken)"};
    if (is(fp::sock_alloc))
        return {-ENFILE, "__sock_create: sock_alloc fails → -ENFILE (no socket yet)"};
    if (is(fp::pf_module_get))
        return {-EAFNOSUPPORT, "__sock_create: try_module_get(pf->owner) fails → goto out_release → sock_release"};
    if (is(fp::unix_nr_socks))
        return {-ENFILE, "unix_create1: unix_nr_socks > 2*file-max → goto err (atomic_long_dec); __sock_create out_module_put"};
    if (is(fp::netlink_module_get))
        return {-EPROTONOSUPPORT, "netlink_create: try_module_get(module) fails → -EPROTONOSUPPORT; out_module_put"};
    if (is(fp::sk_prot_alloc) || is(fp::prot_module_get)) {
        // sk_alloc returns NULL; each create names its own errno.
        if (family == sm::af_inet6 || family == sm::af_packet || family == sm::af_xdp)
            return {-ENOBUFS, "inet6_create/packet_create/xsk_create: err = -ENOBUFS; sk_alloc fails → goto out"};
        return {-ENOMEM, "inet_create/unix_create1/__netlink_create/vsock_create: sk_alloc fails → -ENOMEM"};
    }
    if (is(fp::packet_alloc_pending))
        return {-ENOBUFS, "packet_create: packet_alloc_pending fails → goto out_sk_free (sk_free)"};
    if (is(fp::proto_init))
        return {-ENOMEM, "inet_create/inet6_create: sk_prot->init fails → out_sk_release: sk_common_release"};
    if (is(fp::ops_module_get))
        return {-EAFNOSUPPORT, "__sock_create: try_module_get(sock->ops->owner) fails → out_module_busy"};
    if (is(fp::security_socket_post_create))
        return {-EACCES, "__sock_create: security_socket_post_create denies → out_sock_release (ops->release)"};
    if (is(fp::alloc_fd))
        return {-EMFILE, "sock_map_fd: get_unused_fd_flags fails → sock_release(sock)"};
    if (is(fp::expand_files))
        return {-ENOMEM, "alloc_fd: expand_files → expand_fdtable: alloc_fdtable fails → -ENOMEM; sock_map_fd sock_release"};
    if (is(fp::d_alloc_pseudo))
        return {-ENOMEM, "alloc_file_pseudo: d_alloc_pseudo fails → -ENOMEM; sock_alloc_file sock_release; put_unused_fd"};
    if (is(fp::file_max))
        return {-ENFILE, "alloc_empty_file: nr_files >= file-max → -ENFILE; alloc_file_pseudo path_put; sock_release; put_unused_fd"};
    if (is(fp::filp_cache))
        return {-ENOMEM, "alloc_empty_file: kmem_cache_alloc(filp) fails → -ENOMEM; then as file_max"};
    FAIL("a fault point this test does not know: " << p.name);
    return {0, ""};
}

struct call_case {
    lk::socket_input in;
    bool root;
};

// The successes of the grid, without flag bits (they only change the fd's
// flags, not the path), for root and for nobody: from the constexpr verdict,
// which the differential tests hold to the live kernel.
std::vector<call_case> successful_cases()
{
    std::vector<call_case> out;
    for (const lk::socket_input& in : lk::socket_grid()) {
        if (in.type < 0 || in.type > 15)
            continue;
        for (bool root : {true, false}) {
            const sm::cred c = root ? sm::cred::root() : sm::cred::user(65534, 65534);
            if (sm::socket_verdict_for<K>({}, c, in.family, in.type, in.protocol).err == 0)
                out.push_back({in, root});
        }
    }
    return out;
}

}  // namespace

TEST_CASE("unwinding: every fault point of every successful socket() call returns the kernel's errno and leaks nothing")
{
    const std::vector<call_case> cases = successful_cases();
    REQUIRE(cases.size() > 20);
    std::size_t pairs = 0;
    const auto points = K::faults_type::points();
    std::vector<bool> point_seen(points.size(), false);

    for (const call_case& cc : cases) {
        CAPTURE(lk::describe(cc.in));
        CAPTURE(cc.root);
        K k;
        sm::task_struct& t = k.spawn(cc.root ? sm::cred::root() : sm::cred::user(65534, 65534));

        // Count the points this call passes.
        k.faults.reset_counts();
        const int fd = k.socket(t, cc.in.family, cc.in.type, cc.in.protocol);
        REQUIRE(fd >= 0);
        REQUIRE(k.close(t, fd) == 0);
        std::vector<unsigned long> passes(points.size());
        for (std::size_t i = 0; i < passes.size(); ++i)
            passes[i] = k.faults.passes(*points[i]);

        for (std::size_t i = 0; i < passes.size(); ++i) {
            const sm::fault_point_info& p = *points[i];
            for (unsigned long n = 1; n <= passes[i]; ++n) {
                CAPTURE(p.name);
                // (PF_INET, SOCK_PACKET) is AF_PACKET by the time the create runs.
                const expectation e =
                    expected(p, sm::sock_rewrite_family<K::abi>(cc.in.family, sm::sock_mask_type<K::abi>(cc.in.type)));
                CAPTURE(e.why);
                const snapshot before = take(k, t);
                k.faults.fail_nth(p, n);
                const int r = k.socket(t, cc.in.family, cc.in.type, cc.in.protocol);
                k.faults.clear(p);
                CHECK(r == e.err);
                const snapshot after = take(k, t);
                if (&p == &sm::fault_point::ops_module_get) {
                    // net/socket.c out_module_busy clears sock->ops before
                    // sock_release, so ops->release never runs and the sk
                    // stays allocated: the kernel's own leak (unreachable in
                    // the kernel, where ops->owner == pf->owner is pinned).
                    // Everything but the sk is given back.
                    CHECK(after.totals.socks == before.totals.socks + 1);
                    CHECK(after.totals.sockets == before.totals.sockets);
                    CHECK(after.totals.files == before.totals.files);
                    CHECK(after.totals.nr_files == before.totals.nr_files);
                    CHECK(after.next_fd == before.next_fd);
                    CHECK(after.open_fds == before.open_fds);
                } else {
                    CHECK(after == before);
                }
                point_seen[i] = true;
                ++pairs;
            }
        }

        // expand_files is passed only when the table must grow: fill fds up to
        // NR_OPEN_DEFAULT (64) first, in a kernel of its own.
        K k2;
        sm::task_struct& t2 = k2.spawn(cc.root ? sm::cred::root() : sm::cred::user(65534, 65534));
        const int first = k2.socket(t2, sm::af_unix, SOCK_STREAM, 0);
        REQUIRE(first == 0);
        for (int i = 1; i < 64; ++i)
            REQUIRE(k2.dup(t2, first) == i);
        const snapshot before = take(k2, t2);
        k2.faults.fail_nth(sm::fault_point::expand_files, 1);
        CHECK(k2.socket(t2, cc.in.family, cc.in.type, cc.in.protocol) ==
              expected(sm::fault_point::expand_files, cc.in.family).err);
        CHECK(k2.faults.injected(sm::fault_point::expand_files) == 1);
        CHECK(take(k2, t2) == before);
        for (std::size_t i = 0; i < points.size(); ++i)
            if (points[i] == &sm::fault_point::expand_files)
                point_seen[i] = true;
        ++pairs;
    }

    for (std::size_t i = 0; i < point_seen.size(); ++i) {
        CAPTURE(points[i]->name);
        CHECK(point_seen[i]);  // every point is on some successful path
    }
    std::printf("unwinding: %zu (case, point) pairs over %zu successful cases\n", pairs, cases.size());
}
