// libFuzzer target: the input bytes are a program of system calls and kernel
// state changes run on one fresh model kernel, against a shadow model of what
// must be open, and (where the state allows) against the constexpr verdict
// and the live kernel. Any broken invariant prints what broke and the steps
// that led there on stderr, then __builtin_trap()s.
//
// Actions (one byte picks the kind, the next bytes its arguments):
//   spawn (root / nobody / uid 1000 with some capabilities / nobody in a fresh
//   user namespace, with or without a fresh netns), optionally with fds 0..2
//   opened as a shell leaves them; clone with flags (valid and invalid
//   combinations); exit; socket; close; dup; fcntl; getsockopt; getrlimit;
//   setrlimit; sock_register / sock_unregister of a default family or of the
//   test family (AF 30, its own family, ops and proto modules); module state
//   changes (live / going); net.ipv4.ping_group_range of a netns; when the
//   fault-injection policy exists (SOCKMODEL_FUZZ_FAULTS), injected faults;
//   and misuse (a kind byte of 0xf0 and above): a task used or exited again
//   after its exit, a task of a second kernel, run-time LSM hooks that throw
//   (socket() and socketpair() must leave every counter and the table as
//   they were, then the exception reaches the caller) and hooks that remove
//   themselves (or the other list's hook) while they run.
//
// After every step: the model's descriptor tables equal the shadow tables
// slot by slot, every file's f_count equals the shadow's count of references,
// tasks share tables and limits exactly when the shadow says so, each file has
// its own socket and each socket its own sock, and k.counters() agrees with
// what is open (plus the socks out_module_busy leaks, as net/socket.c does).
// A new fd is the lowest free one below RLIMIT_NOFILE. At the end every task
// exits and every counter is zero (less those leaks).
//
// socket()'s answer is predicted from sockmodel::socket_verdict_for whenever
// the family is as at boot (registered, its module live) and no fault is
// armed; for root in the initial namespaces with only fds 0..2 open, the same
// call is also made on the live kernel (this process runs as root) and errno
// and the read-backs (SO_TYPE, SO_PROTOCOL, SO_DOMAIN, F_GETFL, F_GETFD) must
// agree.
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/security/hooks.hpp>

#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

// Until the fault-injection policy lands (opt::faults<...>, k.faults.fail_nth(point, n)),
// Injected faults are one more action kind (the kernel is configured with
// opt::faults<fault::inject>); -DSOCKMODEL_FUZZ_FAULTS=0 builds without them.
#ifndef SOCKMODEL_FUZZ_FAULTS
#define SOCKMODEL_FUZZ_FAULTS 1
#endif

// --- the test family: outside the anonymous namespace (clang would call its
// variable templates unused), as in test/unit/test_path.cpp ------------------------
namespace fuzz_family {

using namespace sockmodel;

// Its family module, its ops module and its proto module can be unloaded
// apart; with the ops module going and the others live, __sock_create's
// out_module_busy path runs (and leaks sock->sk, as the kernel does).
inline constexpr module fam_mod{"fuzz_fam"};
inline constexpr module ops_mod{"fuzz_fam_ops"};
inline constexpr int af_test = 30;  // AF_TIPC's number: this host's kernel has no AF_TIPC

struct test_sock : sock {};

template <class K>
int test_release(context<K>& cx, sockmodel::socket& s)
{
    if (s.sk) {
        sock_orphan(*s.sk);
        sock_put(cx, *s.sk);
        s.sk = nullptr;
    }
    return 0;
}

template <class K>
void test_close(context<K>&, sock&, long)
{
}

template <class K>
inline constexpr proto test_prot{
    .name = "FUZZPROTO",
    .owner = &fam_mod,
    .obj = proto_object<test_sock>{},
    .close = &kernel_fn<K, &test_close<K>>::call,
};

template <class K>
inline constexpr proto_ops test_ops{
    .family = af_test,
    .owner = &ops_mod,
    .name = "fuzz_ops",
    .release = &kernel_fn<K, &test_release<K>>::call,
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

struct test_entry {
    const proto& prot;
    const proto_ops& ops;
};

template <class K>
struct test_table {
    static constexpr std::array<test_entry, 1> entries{{{test_prot<K>, test_ops<K>}}};
};

// Any type the range checks let through, protocol 0 only.
struct test_family {
    static constexpr int family = af_test;
    static constexpr const module* owner = &fam_mod;
    static constexpr std::string_view create_name = "fuzz_create";
    template <class K>
    using protosw = test_table<K>;

    template <class K>
    static constexpr create_choice choose(const create_context&, int type, int protocol)
    {
        if (protocol != 0)
            return create_choice::fail(-EPROTONOSUPPORT, 1);
        const test_entry& e = test_table<K>::entries[0];
        return {0, 2, &e.ops, &e.prot, type, 0, af_test};
    }
    template <class K>
    static int construct(context<K>& cx, net& n, sockmodel::socket& s, const create_choice& c, int kern)
    {
        s.ops = c.ops;
        sock* sk = sk_alloc(cx, n, af_test, *c.prot, kern);
        if (!sk)
            return -ENOBUFS;
        sock_init_data(cx, &s, *sk);
        return 0;
    }
};

}  // namespace fuzz_family

namespace {

#if SOCKMODEL_FUZZ_FAULTS
using K = sockmodel::kernel<
    sockmodel::config<sockmodel::opt::faults<sockmodel::fault::inject>, sockmodel::opt::runtime_lsm<true>>>;
#else
using K = sockmodel::kernel<sockmodel::config<sockmodel::opt::runtime_lsm<true>>>;
#endif
using abi = K::abi;
using fuzz_family::af_test;
using fuzz_family::test_family;
using sockmodel::capability;
using sockmodel::kernel_cap_t;
using sockmodel::resource_limit;

// --- failure reporting ----------------------------------------------------------------
// The steps of the current input, printed when an invariant breaks.
std::string& step_log()
{
    static std::string log;  // the harness's own, not the library's: one per fuzzing process
    return log;
}

void logf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void logf(const char* fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    step_log() += buf;
    step_log() += '\n';
}

[[noreturn]] void broken(const char* file, int line, const char* what, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
[[noreturn]] void broken(const char* file, int line, const char* what, const char* fmt, ...)
{
    std::fprintf(stderr, "\nsockmodel-fuzz: INVARIANT BROKEN at %s:%d: %s\n  ", file, line, what);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fprintf(stderr, "\nsteps of this input:\n%s\n", step_log().c_str());
    std::fflush(stderr);
    __builtin_trap();
}

#define FUZZ_CHECK(cond, ...)                                       \
    do {                                                            \
        if (!(cond))                                                \
            broken(__FILE__, __LINE__, #cond, __VA_ARGS__);         \
    } while (0)

// --- input ----------------------------------------------------------------------------
struct input {
    const std::uint8_t* p;
    std::size_t n;

    bool empty() const { return n == 0; }
    std::uint8_t u8()
    {
        if (n == 0)
            return 0;
        --n;
        return *p++;
    }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
    template <class T, std::size_t N>
    T pick(const std::array<T, N>& a)
    {
        return a[u8() % N];
    }
};

// --- the families, as configured ---------------------------------------------------------
struct family_entry {
    int family;
    const sockmodel::module* owner;
    const sockmodel::net_proto_family* ops;
};

template <class... F>
constexpr auto make_family_table(sockmodel::family_list<F...>)
{
    return std::array<family_entry, sizeof...(F) + 1>{
        {{F::family, F::owner, &sockmodel::family_ops<K, F>}...,
         {af_test, test_family::owner, &sockmodel::family_ops<K, test_family>}}};
}
constexpr auto families = make_family_table(K::families{});
constexpr std::size_t test_index = families.size() - 1;

// Every module a family or proto here names, as the state-change action picks them.
constexpr std::array<const sockmodel::module*, 6> modules{
    &sockmodel::unix_module, &sockmodel::ipv6_module,  &sockmodel::packet_module,
    &sockmodel::vsock_module, &fuzz_family::fam_mod, &fuzz_family::ops_mod};

// --- the shadow model -------------------------------------------------------------------
struct shadow_file {
    int domain = 0, type = 0, protocol = 0;  // read back once at creation
    int f_flags = 0;
};

struct shadow_table {
    std::map<int, std::pair<sockmodel::file*, bool>> fds;  // fd → (file, close-on-exec)

    int lowest_free() const
    {
        int fd = 0;
        for (const auto& [n, slot] : fds) {
            if (n != fd)
                break;
            ++fd;
        }
        return fd;
    }
};

struct shadow_limits {
    std::array<resource_limit, sockmodel::rlim_nlimits> rlim;
    shadow_limits()
    {
        rlim.fill({sockmodel::rlim_infinity, sockmodel::rlim_infinity});
        rlim[abi::rlimit_nofile] = {1024, 4096};  // INR_OPEN_CUR / INR_OPEN_MAX, init's limits
    }
};

enum class who { root, user, user_caps, userns };
constexpr const char* who_name[] = {"root", "user", "user+caps", "userns"};

struct shadow_task {
    sockmodel::task_struct* t;
    int pid;
    who as;
    bool sys_resource_in_init;  // capable(CAP_SYS_RESOURCE) over init_user_ns
    std::shared_ptr<shadow_table> table;
    std::shared_ptr<shadow_limits> limits;
};

constexpr std::size_t max_tasks = 8;

// The live kernel's answer to socket() as root in this process, read once per
// argument triple (the answer does not change while this process runs).
struct live_answer {
    int err = 0, domain = 0, type = 0, protocol = 0, f_flags = 0, fd_flags = 0;
};

struct host_state {
    std::map<std::tuple<int, int, int>, live_answer> cache;
    bool root = ::geteuid() == 0;
    sockmodel::kgid_t ping_low = 1, ping_high = 0;
    bool ping_known = false;
    bool verbose = std::getenv("SOCKMODEL_FUZZ_VERBOSE") != nullptr;
    long runs = 0, steps = 0, verdict_compared = 0, live_compared = 0, leaked = 0;

    host_state()
    {
        if (std::FILE* f = std::fopen("/proc/sys/net/ipv4/ping_group_range", "r")) {
            unsigned long lo = 0, hi = 0;
            ping_known = std::fscanf(f, "%lu %lu", &lo, &hi) == 2;
            ping_low = static_cast<sockmodel::kgid_t>(lo);
            ping_high = static_cast<sockmodel::kgid_t>(hi);
            std::fclose(f);
        }
    }

    live_answer ask(int family, int type, int protocol)
    {
        auto key = std::make_tuple(family, type, protocol);
        if (auto it = cache.find(key); it != cache.end())
            return it->second;
        live_answer a;
        const int fd = ::socket(family, type, protocol);
        if (fd < 0) {
            a.err = -errno;
        } else {
            socklen_t len = sizeof(int);
            ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &a.domain, &len);
            len = sizeof(int);
            ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &a.type, &len);
            len = sizeof(int);
            ::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &a.protocol, &len);
            a.f_flags = ::fcntl(fd, F_GETFL);
            a.fd_flags = ::fcntl(fd, F_GETFD);
            ::close(fd);
        }
        if (cache.size() < 100000)
            cache.emplace(key, a);
        return a;
    }
};

host_state& host()
{
    static host_state h;
    return h;
}

struct run {
    K k;
    std::vector<shadow_task> tasks;
    std::map<sockmodel::file*, shadow_file> files;  // every file an fd refers to
    std::array<bool, families.size()> registered{};
    std::map<const sockmodel::module*, bool> going;
    bool test_known = false;  // register_family<test_family> ran (its modules are known)
    long leaked = 0;          // socks out_module_busy left allocated
    bool fault_armed = false;
    // Misuse: tasks that have exited (their storage stays with k), a second
    // kernel and its task (made on first use), the run-time hooks (each
    // removed before k goes; a hook never outlives its list).
    std::vector<sockmodel::task_struct*> exited;
    std::unique_ptr<K> other_k;
    sockmodel::task_struct* other_task = nullptr;
    int hook_calls = 0, hook_throw_on = 0;
    bool hook_remove_self = false, hook_remove_other = false;
    std::optional<sockmodel::lsm::socket_create_hook> create_hook;
    std::optional<sockmodel::lsm::socket_post_create_hook> post_hook;

    run()
    {
        for (std::size_t i = 0; i < test_index; ++i)
            registered[i] = true;
        for (const auto* m : modules)
            going[m] = false;
    }

    // --- invariants --------------------------------------------------------------------
    void check_all()
    {
        // Tables: slot by slot, and shared exactly when the shadow shares them.
        std::set<const shadow_table*> seen_tables;
        std::map<sockmodel::file*, long> refs;
        long open = 0;
        for (const shadow_task& a : tasks) {
            for (const shadow_task& b : tasks) {
                FUZZ_CHECK((a.t->files == b.t->files) == (a.table == b.table),
                           "pids %d and %d: descriptor table shared in the model %d, in the shadow %d", a.pid,
                           b.pid, a.t->files == b.t->files, a.table == b.table);
                FUZZ_CHECK((a.t->signal == b.t->signal) == (a.limits == b.limits),
                           "pids %d and %d: limits shared in the model %d, in the shadow %d", a.pid, b.pid,
                           a.t->signal == b.t->signal, a.limits == b.limits);
            }
            if (!seen_tables.insert(a.table.get()).second)
                continue;
            const sockmodel::files_struct& fs = *a.t->files;
            const unsigned max = fs.fdt().max_fds;
            for (const auto& [fd, slot] : a.table->fds)
                FUZZ_CHECK(static_cast<unsigned>(fd) < max, "pid %d: shadow fd %d beyond max_fds %u", a.pid, fd,
                           max);
            for (unsigned fd = 0; fd < max; ++fd) {
                const int n = static_cast<int>(fd);
                sockmodel::file* f = fs.lookup(n);
                auto it = a.table->fds.find(n);
                sockmodel::file* want = it == a.table->fds.end() ? nullptr : it->second.first;
                FUZZ_CHECK(f == want, "pid %d fd %d: the model has file %p, the shadow %p", a.pid, n,
                           static_cast<void*>(f), static_cast<void*>(want));
                if (f) {
                    FUZZ_CHECK(fs.close_on_exec(n) == it->second.second, "pid %d fd %d: close-on-exec %d, shadow %d",
                               a.pid, n, fs.close_on_exec(n), it->second.second);
                    ++refs[f];
                    ++open;
                }
            }
            FUZZ_CHECK(fs.open_count() == a.table->fds.size(), "pid %d: open_count %u, shadow %zu", a.pid,
                       fs.open_count(), a.table->fds.size());
        }
        // Files, sockets and socks: each in one place.
        FUZZ_CHECK(refs.size() == files.size(), "%zu files referenced by fds, shadow knows %zu", refs.size(),
                   files.size());
        std::set<const void*> sockets, socks;
        long module_refs = 0, net_refs = 0;
        for (const auto& [f, sf] : files) {
            auto r = refs.find(f);
            FUZZ_CHECK(r != refs.end(), "file %p of the shadow is in no table", static_cast<void*>(f));
            FUZZ_CHECK(f->f_count.counter == r->second, "file %p: f_count %ld, references %ld", static_cast<void*>(f),
                       f->f_count.counter, r->second);
            FUZZ_CHECK(f->f_op == &sockmodel::socket_file_ops<K>, "file %p is not a socket file",
                       static_cast<void*>(f));
            auto* s = static_cast<sockmodel::socket*>(f->private_data);
            FUZZ_CHECK(s && s->file == f, "file %p: its socket does not point back", static_cast<void*>(f));
            FUZZ_CHECK(sockets.insert(s).second, "socket %p in two files", static_cast<void*>(s));
            FUZZ_CHECK(s->sk && s->sk->sk_socket == s, "socket %p: its sock does not point back",
                       static_cast<void*>(s));
            FUZZ_CHECK(socks.insert(s->sk).second, "sock %p in two sockets", static_cast<void*>(s->sk));
            FUZZ_CHECK(s->sk->sk_family == sf.domain && s->sk->sk_type == sf.type &&
                           s->sk->sk_protocol == sf.protocol,
                       "sock %p changed: family %d type %d protocol %d, was %d %d %d", static_cast<void*>(s->sk),
                       s->sk->sk_family, s->sk->sk_type, s->sk->sk_protocol, sf.domain, sf.type, sf.protocol);
            FUZZ_CHECK(static_cast<int>(f->f_flags) == sf.f_flags, "file %p: f_flags %#x, was %#x",
                       static_cast<void*>(f), f->f_flags, static_cast<unsigned>(sf.f_flags));
            module_refs += (s->ops && s->ops->owner ? 1 : 0) + (s->sk->sk_prot->owner ? 1 : 0);
            net_refs += s->sk->sk_net_refcnt ? 1 : 0;
        }
        const sockmodel::kernel_counters c = k.counters();
        const auto live = static_cast<std::size_t>(files.size());
        FUZZ_CHECK(c.files == live && c.sockets == live && c.nr_files == static_cast<long>(live),
                   "counters: files %zu sockets %zu nr_files %ld, %zu open", c.files, c.sockets, c.nr_files, live);
        FUZZ_CHECK(c.socks == live + static_cast<std::size_t>(leaked), "counters: socks %zu, %zu open + %ld leaked",
                   c.socks, live, leaked);
        FUZZ_CHECK(c.open_fds == static_cast<unsigned>(open), "counters: open_fds %u, shadow %ld", c.open_fds, open);
        // A leaked sock keeps its proto module (fuzz_fam) and its netns.
        FUZZ_CHECK(c.module_refs == module_refs + leaked, "counters: module_refs %ld, expected %ld + %ld leaked",
                   c.module_refs, module_refs, leaked);
        FUZZ_CHECK(c.net_refs == net_refs + leaked, "counters: net_refs %ld, expected %ld + %ld leaked", c.net_refs,
                   net_refs, leaked);
        FUZZ_CHECK(c.sock_inuse == static_cast<long>(live) + leaked, "counters: sock_inuse %ld, %zu + %ld leaked",
                   c.sock_inuse, live, leaked);
        // Only the protos that hash at create time count here (unix, raw, packet,
        // netlink, xdp; TCP and UDP count when bound): at most one per open socket.
        FUZZ_CHECK(c.prot_inuse >= 0 && c.prot_inuse <= static_cast<long>(live), "counters: prot_inuse %ld, %zu open",
                   c.prot_inuse, live);
        FUZZ_CHECK(c.family_state >= 0 && c.family_state <= static_cast<long>(live),
                   "counters: family_state %ld, %zu open", c.family_state, live);
    }

    void check_end()
    {
        k.exit_all();
        tasks.clear();
        files.clear();
        sockmodel::kernel_counters want;
        want.socks = static_cast<std::size_t>(leaked);
        want.module_refs = leaked;
        want.net_refs = leaked;
        want.sock_inuse = leaked;
        const sockmodel::kernel_counters c = k.counters();
        FUZZ_CHECK(c == want,
                   "after every task exited: sockets %zu files %zu socks %zu nr_files %ld module_refs %ld net_refs "
                   "%ld sock_inuse %ld prot_inuse %ld family_state %ld open_fds %u (leaked %ld)",
                   c.sockets, c.files, c.socks, c.nr_files, c.module_refs, c.net_refs, c.sock_inuse, c.prot_inuse,
                   c.family_state, c.open_fds, leaked);
    }

    // --- helpers ----------------------------------------------------------------------------
    shadow_task* task_at(std::uint8_t b) { return tasks.empty() ? nullptr : &tasks[b % tasks.size()]; }

    unsigned long nofile(const shadow_task& st) const { return st.limits->rlim[abi::rlimit_nofile].rlim_cur; }

    // The family __sock_create looks up: (PF_INET, SOCK_PACKET) becomes PF_PACKET.
    static int looked_up(int family, int type)
    {
        return family == AF_INET && (type & 0xf) == abi::sock_packet ? AF_PACKET : family;
    }

    std::size_t index_of(int family) const
    {
        for (std::size_t i = 0; i < families.size(); ++i)
            if (families[i].family == family)
                return i;
        return families.size();
    }

    bool module_going(const sockmodel::module* m) const { return m && going.at(m); }

    // The table holds exactly fds 0..2 (a fresh task as a shell leaves it).
    static bool fresh(const shadow_task& st)
    {
        if (st.table->fds.size() != 3)
            return false;
        int fd = 0;
        for (const auto& [n, slot] : st.table->fds)
            if (n != fd++)
                return false;
        return true;
    }

    // --- actions -----------------------------------------------------------------------------
    int do_socket(shadow_task& st, int family, int type, int protocol)
    {
        const sockmodel::kernel_counters before = k.counters();
        const int lowest = st.table->lowest_free();
        const int r = k.socket(*st.t, family, type, protocol);
        logf("  pid %d socket(%d, %#x, %d) = %d", st.pid, family, static_cast<unsigned>(type), protocol, r);

        // What the constexpr verdict says, for this task's netns and credentials.
        const sockmodel::socket_verdict v =
            st.t->net_ns == &k.init_net
                ? sockmodel::socket_verdict_for<K>(k.init_net.sysctl, st.t->cred, family, type, protocol)
                : sockmodel::socket_verdict_for(k, *st.t->net_ns, st.t->cred, family, type, protocol);
        const int lf = looked_up(family, type);
        const std::size_t fi = index_of(lf);
        const bool known = fi < families.size();
        // Checks before the family lookup: flags, ranges, the LSM.
        const bool early = v.err && (v.where == "__sys_socket_create" || v.where == "security_socket_create" ||
                                     (v.where == "__sock_create" && v.err != -EAFNOSUPPORT));
        const bool as_at_boot = known && fi != test_index && registered[fi] && !module_going(families[fi].owner);
        const bool emfile = static_cast<unsigned long>(lowest) >= nofile(st);
        bool may_leak = false;

        if (fault_armed) {
            // An injected failure may answer any errno at any step; only the
            // bookkeeping below is checked. The test family's out_module_busy
            // leak can still happen when the injected point lies elsewhere.
            may_leak = fi == test_index && registered[fi] && protocol == 0 && module_going(&fuzz_family::ops_mod);
        } else if (early) {
            FUZZ_CHECK(r == v.err, "socket(%d, %#x, %d): %d, the verdict %d at %.*s", family,
                       static_cast<unsigned>(type), protocol, r, v.err, static_cast<int>(v.where.size()),
                       v.where.data());
        } else if (!known || !registered[fi] || module_going(families[fi].owner)) {
            // No family, or try_module_get(pf->owner) fails while it unloads.
            FUZZ_CHECK(r == -EAFNOSUPPORT, "socket(%d, %#x, %d) with the family unregistered or going: %d", family,
                       static_cast<unsigned>(type), protocol, r);
        } else if (as_at_boot) {
            ++host().verdict_compared;
            const int want = v.err ? v.err : emfile ? -EMFILE : lowest;
            FUZZ_CHECK(r == want, "socket(%d, %#x, %d) as %s: %d, expected %d (verdict %d at %.*s, lowest free %d, "
                       "RLIMIT_NOFILE %lu)",
                       family, static_cast<unsigned>(type), protocol, who_name[static_cast<int>(st.as)], r, want,
                       v.err, static_cast<int>(v.where.size()), v.where.data(), lowest, nofile(st));
        } else {
            // The test family: protocol 0 only; its ops module going means
            // out_module_busy after a successful create.
            if (protocol != 0) {
                FUZZ_CHECK(r == -EPROTONOSUPPORT, "test family, protocol %d: %d", protocol, r);
            } else if (module_going(&fuzz_family::ops_mod)) {
                FUZZ_CHECK(r == -EAFNOSUPPORT, "test family, ops module going: %d", r);
                may_leak = true;
            } else {
                FUZZ_CHECK(r == (emfile ? -EMFILE : lowest), "test family: %d, lowest free %d, RLIMIT_NOFILE %lu", r,
                           lowest, nofile(st));
            }
        }
        if (r >= 0)
            FUZZ_CHECK(r == lowest && !emfile, "socket: fd %d, the lowest free is %d (RLIMIT_NOFILE %lu)", r, lowest,
                       nofile(st));

        const sockmodel::kernel_counters after = k.counters();
        if (r < 0) {
            sockmodel::kernel_counters want = before;
            if (may_leak && after.socks == before.socks + 1) {
                ++leaked;
                ++want.socks;
                ++want.module_refs;
                ++want.net_refs;
                ++want.sock_inuse;
            }
            FUZZ_CHECK(after == want, "failed socket() changed the counters: socks %zu→%zu files %zu→%zu sockets "
                       "%zu→%zu module_refs %ld→%ld",
                       before.socks, after.socks, before.files, after.files, before.sockets, after.sockets,
                       before.module_refs, after.module_refs);
            FUZZ_CHECK(st.table->lowest_free() == lowest, "failed socket() changed the table");
            return r;
        }

        sockmodel::file* f = st.t->files->lookup(r);
        FUZZ_CHECK(f != nullptr, "socket returned fd %d, which holds no file", r);
        FUZZ_CHECK(files.find(f) == files.end(), "socket returned fd %d, whose file %p is already open elsewhere", r,
                   static_cast<void*>(f));
        shadow_file sf;
        int len_ok = k.getsockopt(*st.t, r, abi::sol_socket, abi::so_domain, &sf.domain);
        len_ok |= k.getsockopt(*st.t, r, abi::sol_socket, abi::so_type, &sf.type);
        len_ok |= k.getsockopt(*st.t, r, abi::sol_socket, abi::so_protocol, &sf.protocol);
        FUZZ_CHECK(len_ok == 0, "getsockopt on a new socket failed");
        sf.f_flags = k.fcntl(*st.t, r, sockmodel::f_getfl);
        const bool cloexec = k.fcntl(*st.t, r, sockmodel::f_getfd) == sockmodel::fd_cloexec_flag;
        FUZZ_CHECK(cloexec == ((type & abi::sock_cloexec) != 0), "fd %d: FD_CLOEXEC %d for type %#x", r, cloexec,
                   static_cast<unsigned>(type));
        if (as_at_boot && !fault_armed) {
            FUZZ_CHECK(sf.domain == v.family && sf.type == v.type && sf.protocol == v.protocol &&
                           sf.f_flags == v.f_flags && cloexec == v.cloexec,
                       "socket(%d, %#x, %d) reads back domain %d type %d protocol %d flags %#x cloexec %d; the "
                       "verdict %d %d %d %#x %d",
                       family, static_cast<unsigned>(type), protocol, sf.domain, sf.type, sf.protocol,
                       static_cast<unsigned>(sf.f_flags), cloexec, v.family, v.type, v.protocol,
                       static_cast<unsigned>(v.f_flags), v.cloexec);
        }
        files.emplace(f, sf);
        st.table->fds[r] = {f, cloexec};
        return r;
    }

    // The live kernel, for root in the initial namespaces with only fds 0..2.
    void compare_live(shadow_task& st, int family, int type, int protocol, int r)
    {
        host_state& h = host();
        if (!h.root || !h.ping_known || fault_armed || st.as != who::root || st.t->net_ns != &k.init_net)
            return;
        if (nofile(st) <= 3)  // this process may open its fourth fd; the task may not
            return;
        if (k.init_net.sysctl.ping_group_range.low != h.ping_low ||
            k.init_net.sysctl.ping_group_range.high != h.ping_high)
            return;
        const std::size_t fi = index_of(looked_up(family, type));
        const bool boot_state = fi < families.size() && fi != test_index && registered[fi] &&
                                !module_going(families[fi].owner);
        if (!boot_state && !(fi == families.size() || fi == test_index))
            return;
        if (fi == test_index && registered[fi])
            return;
        ++h.live_compared;
        const live_answer a = h.ask(family, type, protocol);
        if (a.err || r < 0) {
            FUZZ_CHECK(a.err == (r < 0 ? r : 0), "socket(%d, %#x, %d) as root: the model %d, the live kernel %d",
                       family, static_cast<unsigned>(type), protocol, r, a.err);
            return;
        }
        const shadow_file& sf = files.at(st.table->fds.at(r).first);
        const int fd_flags = st.table->fds.at(r).second ? FD_CLOEXEC : 0;
        FUZZ_CHECK(sf.domain == a.domain && sf.type == a.type && sf.protocol == a.protocol &&
                       sf.f_flags == a.f_flags && fd_flags == a.fd_flags,
                   "socket(%d, %#x, %d) as root reads back domain %d type %d protocol %d F_GETFL %#x F_GETFD %d; the "
                   "live kernel %d %d %d %#x %d",
                   family, static_cast<unsigned>(type), protocol, sf.domain, sf.type, sf.protocol,
                   static_cast<unsigned>(sf.f_flags), fd_flags, a.domain, a.type, a.protocol,
                   static_cast<unsigned>(a.f_flags), a.fd_flags);
    }

    void drop_ref(shadow_table& tb, int fd)
    {
        sockmodel::file* f = tb.fds.at(fd).first;
        tb.fds.erase(fd);
        for (const shadow_task& other : tasks)
            for (const auto& [n, slot] : other.table->fds)
                if (slot.first == f)
                    return;
        files.erase(f);
    }

    void spawn(input& in)
    {
        if (tasks.size() >= max_tasks)
            return;
        const std::uint8_t b = in.u8();
        const who as = static_cast<who>(b & 3);
        sockmodel::cred c = sockmodel::cred::root();
        bool sys_resource = true;
        if (as != who::root)
            c = sockmodel::cred::user(as == who::user_caps ? 1000 : 65534, as == who::user_caps ? 1000 : 65534);
        if (as == who::user_caps) {
            const std::uint8_t caps = in.u8();
            kernel_cap_t set;
            if (caps & 1)
                set.raise(capability::net_raw);
            if (caps & 2)
                set.raise(capability::sys_resource);
            if (caps & 4)
                set.raise(capability::sys_admin);
            if (caps & 8)
                set.raise(capability::net_admin);
            c.with_caps(set);
            if (caps & 16)
                c.with_groups({100, 1000});
        }
        if (as != who::root)
            sys_resource = c.cap_effective.raised(capability::sys_resource);
        sockmodel::task_struct& t = k.spawn(c);
        if (as == who::userns) {
            const unsigned long flags =
                sockmodel::clone_flag::newuser | ((b & 4) ? sockmodel::clone_flag::newnet : 0UL);
            const int r = k.unshare(t, flags);
            FUZZ_CHECK(r == 0, "unshare(%#lx) of a fresh task: %d", flags, r);
            FUZZ_CHECK((t.net_ns != &k.init_net) == ((flags & sockmodel::clone_flag::newnet) != 0),
                       "unshare: netns after CLONE_NEWNET");
            sys_resource = false;  // all capabilities, but inside the new namespace only
        }
        tasks.push_back({&t, t.pid, as, sys_resource, std::make_shared<shadow_table>(),
                         std::make_shared<shadow_limits>()});
        logf("spawn pid %d as %s", t.pid, who_name[static_cast<int>(as)]);
        if (b & 8)  // fds 0..2, as a shell leaves them
            for (int i = 0; i < 3; ++i)
                do_socket(tasks.back(), AF_UNIX, SOCK_STREAM, 0);
    }

    void clone(input& in)
    {
        shadow_task* p = task_at(in.u8());
        if (!p || tasks.size() >= max_tasks)
            return;
        namespace cf = sockmodel::clone_flag;
        static constexpr std::array<unsigned long, 8> choices{
            0, cf::files, cf::vm | cf::sighand, cf::vm | cf::sighand | cf::thread, cf::pthread,
            cf::thread,                // CLONE_THREAD without CLONE_SIGHAND: EINVAL
            cf::sighand | cf::files,   // CLONE_SIGHAND without CLONE_VM: EINVAL
            cf::vm | cf::files};
        const unsigned long flags = in.pick(choices);
        const shadow_task parent = *p;  // tasks may reallocate below
        const int r = k.clone(*parent.t, flags);
        logf("pid %d clone(%#lx) = %d", parent.pid, flags, r);
        const bool bad = ((flags & cf::thread) && !(flags & cf::sighand)) || ((flags & cf::sighand) && !(flags & cf::vm));
        if (bad) {
            FUZZ_CHECK(r == -EINVAL, "clone(%#lx): %d, expected -EINVAL", flags, r);
            return;
        }
        FUZZ_CHECK(r > 0, "clone(%#lx): %d", flags, r);
        sockmodel::task_struct* t = k.find_task(r);
        FUZZ_CHECK(t != nullptr, "clone: pid %d not found", r);
        shadow_task child{t, r, parent.as, parent.sys_resource_in_init, parent.table, parent.limits};
        if (!(flags & cf::files)) {
            child.table = std::make_shared<shadow_table>(*parent.table);  // dup_fd: close-on-exec copied too
        }
        if (!(flags & cf::thread))
            child.limits = std::make_shared<shadow_limits>(*parent.limits);
        FUZZ_CHECK(t->net_ns == parent.t->net_ns, "clone: the child is in another netns");
        tasks.push_back(child);
    }

    void exit_task(input& in)
    {
        if (tasks.empty())
            return;
        const std::size_t i = in.u8() % tasks.size();
        shadow_task st = tasks[i];
        logf("pid %d exit", st.pid);
        tasks.erase(tasks.begin() + static_cast<std::ptrdiff_t>(i));
        k.exit(*st.t);
        exited.push_back(st.t);
        if (st.table.use_count() == 1) {  // the last user closes what is open
            std::vector<int> open;
            for (const auto& [fd, slot] : st.table->fds)
                open.push_back(fd);
            for (int fd : open)
                drop_ref(*st.table, fd);
        }
    }

    void socket(input& in)
    {
        shadow_task* st = task_at(in.u8());
        if (!st)
            return;
        static constexpr std::array<int, 12> fams{AF_UNIX,   AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_VSOCK,
                                                  AF_XDP,    af_test, AF_UNSPEC, AF_INET,   AF_INET6,  AF_CAN};
        static constexpr std::array<int, 8> types{SOCK_STREAM, SOCK_DGRAM, SOCK_RAW,    SOCK_SEQPACKET,
                                                  SOCK_RDM,    SOCK_PACKET, SOCK_DCCP, SOCK_STREAM};
        static constexpr std::array<int, 16> protos{0,           IPPROTO_TCP,  IPPROTO_UDP,     IPPROTO_ICMP,
                                                    IPPROTO_ICMPV6, IPPROTO_RAW, IPPROTO_SCTP, IPPROTO_MPTCP,
                                                    IPPROTO_UDPLITE, 1,          0x0300 /* htons(ETH_P_ALL) */, 2,
                                                    15,          -1,           255,             256};
        const std::uint8_t how = in.u8();
        int family = (how & 0x80) ? in.u8() % 48 - 1 : in.pick(fams);
        int type = (how & 0x40) ? in.u8() % 12 : in.pick(types);
        const std::uint8_t flags = in.u8();
        if (flags & 1)
            type |= abi::sock_cloexec;
        if (flags & 2)
            type |= abi::sock_nonblock;
        if (flags & 4)
            type |= 1 << (4 + (flags >> 4));  // a stray bit: EINVAL unless it is one of the two flags
        int protocol = (how & 0x20) ? in.u8() : in.pick(protos);
        const bool was_fresh = fresh(*st);
        const int r = do_socket(*st, family, type, protocol);
        if (was_fresh)
            compare_live(*st, family, type, protocol, r);
    }

    void close(input& in)
    {
        shadow_task* st = task_at(in.u8());
        if (!st)
            return;
        const int fd = in.u8() % 72 - 2;
        const int r = k.close(*st->t, fd);
        logf("pid %d close(%d) = %d", st->pid, fd, r);
        const bool open = st->table->fds.count(fd) != 0;
        FUZZ_CHECK(r == (open ? 0 : -EBADF), "close(%d): %d, the shadow has it %s", fd, r, open ? "open" : "closed");
        if (open)
            drop_ref(*st->table, fd);
    }

    void dup(input& in)
    {
        shadow_task* st = task_at(in.u8());
        if (!st)
            return;
        const int old = in.u8() % 70 - 1;
        const int lowest = st->table->lowest_free();
        const sockmodel::kernel_counters before = k.counters();
        const int r = k.dup(*st->t, old);
        logf("pid %d dup(%d) = %d", st->pid, old, r);
        auto it = st->table->fds.find(old);
        if (fault_armed && r < 0 && r != -EBADF) {
            // An injected failure in get_unused_fd_flags (EMFILE, ENOMEM):
            // nothing may change.
            FUZZ_CHECK(k.counters() == before, "dup(%d) failed by an injected fault but changed the counters", old);
            return;
        }
        if (it == st->table->fds.end()) {
            FUZZ_CHECK(r == -EBADF, "dup(%d) of a closed fd: %d", old, r);
        } else if (static_cast<unsigned long>(lowest) >= nofile(*st)) {
            FUZZ_CHECK(r == -EMFILE, "dup(%d) with lowest free %d, RLIMIT_NOFILE %lu: %d", old, lowest,
                       nofile(*st), r);
        } else {
            FUZZ_CHECK(r == lowest, "dup(%d): %d, the lowest free is %d", old, r, lowest);
            FUZZ_CHECK(st->t->files->lookup(r) == it->second.first, "dup(%d): fd %d holds another file", old, r);
            st->table->fds[r] = {it->second.first, false};  // dup clears close-on-exec
            return;
        }
        FUZZ_CHECK(k.counters() == before, "failed dup changed the counters");
    }

    // dup(fd) up to 127 times in a row, each checked as dup() is: fills a
    // table past its first 64 slots (a second word of open_fds, expand_files)
    // in a few bytes of input.
    void burst(input& in)
    {
        shadow_task* st = task_at(in.u8());
        if (!st || st->table->fds.empty())
            return;
        const std::uint8_t b = in.u8();
        const int old = std::next(st->table->fds.begin(), b % st->table->fds.size())->first;
        const int times = in.u8() % 128;
        std::uint8_t args[] = {0, static_cast<std::uint8_t>(old + 1)};
        const std::size_t self = static_cast<std::size_t>(st - tasks.data());
        args[0] = static_cast<std::uint8_t>(self);
        for (int i = 0; i < times; ++i) {
            input one{args, sizeof args};
            dup(one);
            if (st->table->lowest_free() >= static_cast<int>(std::min<unsigned long>(nofile(*st), 512)))
                break;
        }
    }

    void fcntl(input& in)
    {
        shadow_task* st = task_at(in.u8());
        if (!st)
            return;
        const int fd = in.u8() % 70 - 1;
        const int cmd = in.u8() % 5;  // F_DUPFD, F_GETFD, F_SETFD, F_GETFL, 4: F_SETFL
        const int r = k.fcntl(*st->t, fd, cmd);
        logf("pid %d fcntl(%d, %d) = %d", st->pid, fd, cmd, r);
        auto it = st->table->fds.find(fd);
        if (it == st->table->fds.end())
            FUZZ_CHECK(r == -EBADF, "fcntl(%d) of a closed fd: %d", fd, r);
        else if (cmd == sockmodel::f_getfd)
            FUZZ_CHECK(r == (it->second.second ? sockmodel::fd_cloexec_flag : 0), "F_GETFD(%d): %d", fd, r);
        else if (cmd == sockmodel::f_getfl)
            FUZZ_CHECK(r == files.at(it->second.first).f_flags, "F_GETFL(%d): %#x", fd, static_cast<unsigned>(r));
        else
            FUZZ_CHECK(r == -EINVAL, "fcntl(%d, %d), not modelled: %d", fd, cmd, r);
    }

    void getsockopt(input& in)
    {
        shadow_task* st = task_at(in.u8());
        if (!st)
            return;
        const int fd = in.u8() % 70 - 1;
        const std::uint8_t b = in.u8();
        const int level = (b & 1) ? abi::sol_socket : (b & 2) ? IPPROTO_TCP : 0;
        static constexpr std::array<int, 4> names{abi::so_domain, abi::so_type, abi::so_protocol, SO_RCVBUF};
        const int optname = names[(b >> 2) & 3];
        const bool null = (b & 16) != 0;
        int v = -12345;
        const int r = k.getsockopt(*st->t, fd, level, optname, null ? nullptr : &v);
        logf("pid %d getsockopt(%d, %d, %d%s) = %d", st->pid, fd, level, optname, null ? ", NULL" : "", r);
        auto it = st->table->fds.find(fd);
        if (it == st->table->fds.end()) {
            FUZZ_CHECK(r == -EBADF, "getsockopt(%d) of a closed fd: %d", fd, r);
            return;
        }
        const shadow_file& sf = files.at(it->second.first);
        // Protocol levels answer per family and level (test_getsockopt.cpp
        // holds every family x level x option to the live kernel); here only
        // that the answer is one the kernel gives.
        if (level != abi::sol_socket) {
            FUZZ_CHECK(r == -EOPNOTSUPP || r == -ENOPROTOOPT || r == -EFAULT || r == 0,
                       "getsockopt(%d, %d, %d): %d", fd, level, optname, r);
            return;
        }
        const int want = null ? -EFAULT : 0;
        FUZZ_CHECK(r == want, "getsockopt(%d, %d, %d): %d, expected %d", fd, level, optname, r, want);
        if (r == 0 && optname == SO_RCVBUF) {
            FUZZ_CHECK(v > 0, "getsockopt(%d, SO_RCVBUF): %d", fd, v);
            return;
        }
        if (r == 0) {
            const int expect = optname == abi::so_domain ? sf.domain : optname == abi::so_type ? sf.type : sf.protocol;
            FUZZ_CHECK(v == expect, "getsockopt(%d, %d): %d, expected %d", fd, optname, v, expect);
        }
    }

    void rlimit(input& in)
    {
        shadow_task* st = task_at(in.u8());
        if (!st)
            return;
        const std::uint8_t b = in.u8();
        const int resource = (b & 0x80) ? b % 18 : abi::rlimit_nofile;  // 16, 17: EINVAL
        if (b & 0x40) {
            resource_limit got{};
            const int r = k.getrlimit(*st->t, resource, &got);
            logf("pid %d getrlimit(%d) = %d {%lu, %lu}", st->pid, resource, r, got.rlim_cur, got.rlim_max);
            if (resource >= sockmodel::rlim_nlimits) {
                FUZZ_CHECK(r == -EINVAL, "getrlimit(%d): %d", resource, r);
            } else {
                FUZZ_CHECK(r == 0 && got == st->limits->rlim[static_cast<std::size_t>(resource)],
                           "getrlimit(%d) = %d {%lu, %lu}, the shadow {%lu, %lu}", resource, r, got.rlim_cur,
                           got.rlim_max, st->limits->rlim[static_cast<std::size_t>(resource)].rlim_cur,
                           st->limits->rlim[static_cast<std::size_t>(resource)].rlim_max);
            }
            return;
        }
        const unsigned long nr_open = k.files.nr_open();
        const std::array<unsigned long, 16> values{0,    1,    2,    3,       4,           5,     6, 8,
                                                   16,   64,   1024, 4096,    nr_open, nr_open + 1, 20000,
                                                   sockmodel::rlim_infinity};
        const resource_limit want{in.pick(values), in.pick(values)};
        const int r = k.setrlimit(*st->t, resource, &want);
        logf("pid %d setrlimit(%d, {%lu, %lu}) = %d", st->pid, resource, want.rlim_cur, want.rlim_max, r);
        int expect = 0;
        if (resource >= sockmodel::rlim_nlimits || want.rlim_cur > want.rlim_max)
            expect = -EINVAL;
        else if (resource == abi::rlimit_nofile && want.rlim_max > nr_open)
            expect = -EPERM;
        else if (want.rlim_max > st->limits->rlim[static_cast<std::size_t>(resource)].rlim_max &&
                 !st->sys_resource_in_init)
            expect = -EPERM;
        FUZZ_CHECK(r == expect, "setrlimit(%d, {%lu, %lu}) as %s: %d, expected %d", resource, want.rlim_cur,
                   want.rlim_max, who_name[static_cast<int>(st->as)], r, expect);
        if (r == 0)
            st->limits->rlim[static_cast<std::size_t>(resource)] = want;
    }

    void registration(input& in)
    {
        const std::uint8_t b = in.u8();
        const std::size_t i = b % families.size();
        const family_entry& e = families[i];
        if (b & 0x80) {
            if (!registered[i])
                return;
            logf("sock_unregister(%d)", e.family);
            k.sock_unregister(e.family);
            registered[i] = false;
            return;
        }
        int r = 0;
        if (i == test_index && !test_known) {
            r = k.register_family<test_family>();
            test_known = true;
            logf("register_family<test_family>() = %d", r);
        } else {
            r = k.sock_register(e.ops);
            logf("sock_register(%d) = %d", e.family, r);
        }
        FUZZ_CHECK(r == (registered[i] ? -EEXIST : 0), "sock_register(%d): %d, registered %d", e.family, r,
                   registered[i]);
        registered[i] = true;
    }

    void module_state(input& in)
    {
        const std::uint8_t b = in.u8();
        const sockmodel::module* m = modules[b % modules.size()];
        if ((m == &fuzz_family::fam_mod || m == &fuzz_family::ops_mod) && !test_known)
            return;  // not loaded yet: the module table does not know it
        const bool go = (b & 0x80) != 0;
        k.modules.set_state(m, go ? sockmodel::module_state::going : sockmodel::module_state::live);
        going[m] = go;
        logf("module %.*s %s", static_cast<int>(m->name.size()), m->name.data(), go ? "going" : "live");
    }

    void sysctl(input& in)
    {
        const std::uint8_t b = in.u8();
        static constexpr std::array<std::pair<sockmodel::kgid_t, sockmodel::kgid_t>, 8> ranges{
            {{1, 0}, {0, 0}, {0, 65534}, {100, 200}, {65534, 65534}, {1000, 1000}, {0, 2147483647}, {1, 0}}};
        const auto [lo, hi] = ranges[b % ranges.size()];
        sockmodel::net* n = &k.init_net;
        if ((b & 0x80) && !tasks.empty())
            n = tasks[(b >> 3) % tasks.size()].t->net_ns;
        n->sysctl.ping_group_range = {lo, hi};
        logf("ping_group_range %u %u in %s", lo, hi, n == &k.init_net ? "init_net" : "a child netns");
    }

    void fault(input& in)
    {
        const std::uint8_t point = in.u8();
        const std::uint8_t nth = in.u8();
#if SOCKMODEL_FUZZ_FAULTS
        // Every point but ops_module_get: its failure leaks the sk on purpose
        // (out_module_busy, as net/socket.c does), which the shadow allows only
        // on the test family's own path.
        const auto points = K::faults_type::points();
        const sockmodel::fault_point_info& p = *points[point % points.size()];
        if (&p == &sockmodel::fault_point::ops_module_get)
            return;
        k.faults.fail_nth(p, nth ? nth : 1);
        fault_armed = true;
        logf("fail_nth(%u, %u)", point, nth);
#else
        (void)point;
        (void)nth;
#endif
    }

    // --- misuse ------------------------------------------------------------------------------
    // A call the library must refuse with sockmodel::bug_error (the bug policy),
    // changing nothing.
    template <class Kernel, class F>
    void refused(Kernel& kk, const char* what, F&& call)
    {
        const sockmodel::kernel_counters before = kk.counters();
        bool threw = false;
        try {
            call();
        } catch (const sockmodel::bug_error&) {
            threw = true;
        }
        FUZZ_CHECK(threw, "%s was accepted", what);
        FUZZ_CHECK(kk.counters() == before, "%s changed the counters", what);
    }

    // The hook body: counts its calls, throws on the chosen one, removes
    // itself or the other list's hook when told.
    template <class Self, class Other>
    int hook_body(std::optional<Self>& self, std::optional<Other>& other_hook)
    {
        ++hook_calls;
        // Each hook here is removed only by itself (while it runs: a walk
        // calls a hook once) or by a hook of the other list, whose walks begin
        // after the removal: a walk never reaches a hook that is not added.
        FUZZ_CHECK(self && self->added(), "hook \"%s\" called after its removal",
                   self ? std::string(self->name()).c_str() : "?");
        if (hook_remove_self && self && self->added())
            k.security_hooks.remove(*self);
        if (hook_remove_other && other_hook && other_hook->added())
            k.security_hooks.remove(*other_hook);
        if (hook_calls == hook_throw_on)
            throw std::runtime_error("fuzz hook");
        return 0;
    }

    void remove_hooks()
    {
        if (create_hook && create_hook->added())
            k.security_hooks.remove(*create_hook);
        if (post_hook && post_hook->added())
            k.security_hooks.remove(*post_hook);
        FUZZ_CHECK(k.security_hooks.empty(), "hooks still added after their removal");
    }

    void misuse(input& in)
    {
        const std::uint8_t b = in.u8();
        switch (b % 4) {
        case 0: {  // an exited task: no system call, no second exit
            if (exited.empty())
                return;
            sockmodel::task_struct& t = *exited[in.u8() % exited.size()];
            logf("misuse: exited task %d", t.pid);
            int sv[2];
            switch ((b >> 2) % 5) {
            case 0: refused(k, "socket() by an exited task", [&] { k.socket(t, AF_INET, SOCK_STREAM, 0); }); break;
            case 1: refused(k, "a second exit", [&] { k.exit(t); }); break;
            case 2: refused(k, "close() by an exited task", [&] { k.close(t, 0); }); break;
            case 3: refused(k, "clone() of an exited task", [&] { k.clone(t, 0); }); break;
            case 4: refused(k, "socketpair() by an exited task", [&] { k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv); }); break;
            }
            return;
        }
        case 1: {  // a task of another kernel, both ways
            if (!other_k) {
                other_k = std::make_unique<K>();
                other_task = &other_k->spawn();
            }
            shadow_task* st = task_at(in.u8());
            logf("misuse: foreign tasks");
            refused(k, "socket() by another kernel's task", [&] { k.socket(*other_task, AF_INET, SOCK_STREAM, 0); });
            refused(k, "exit of another kernel's task", [&] { k.exit(*other_task); });
            if (st) {
                refused(*other_k, "socket() on another kernel", [&] { other_k->socket(*st->t, AF_UNIX, SOCK_DGRAM, 0); });
                refused(*other_k, "clone() on another kernel", [&] { other_k->clone(*st->t, 0); });
                refused(*other_k, "close() on another kernel", [&] { other_k->close(*st->t, 0); });
            }
            FUZZ_CHECK(other_k->counters() == sockmodel::kernel_counters{}, "the second kernel holds something");
            return;
        }
        case 2: {  // a hook that throws on its first or second call: socket() or socketpair()
            shadow_task* st = task_at(in.u8());
            if (!st)
                return;
            const bool post = (b >> 2) & 1;
            const bool pair = (b >> 3) & 1;
            hook_calls = 0;
            hook_throw_on = pair && ((b >> 4) & 1) ? 2 : 1;
            hook_remove_self = hook_throw_on == 1 && ((b >> 5) & 1);  // and removes itself before it throws
            hook_remove_other = false;
            if (post) {
                post_hook.emplace("fuzz-post", [this](const sockmodel::cred&, const sockmodel::socket*, int, int, int,
                                                     int) { return hook_body(post_hook, create_hook); });
                k.security_hooks.add(*post_hook);
            } else {
                create_hook.emplace("fuzz-create", [this](const sockmodel::cred&, int, int, int, int) {
                    return hook_body(create_hook, post_hook);
                });
                k.security_hooks.add(*create_hook);
            }
            const int family = pair ? AF_UNIX : (b & 0x40) ? AF_INET : AF_INET6;
            const sockmodel::kernel_counters before = k.counters();
            const int lowest = st->table->lowest_free();
            int r = 0;
            bool threw = false;
            int sv[2] = {-1, -1};
            try {
                r = pair ? k.socketpair(*st->t, family, SOCK_STREAM, 0, sv) : k.socket(*st->t, family, SOCK_STREAM, 0);
            } catch (const std::runtime_error&) {
                threw = true;
            }
            logf("misuse: pid %d %s with a throwing %s hook (throw on %d%s) = %d%s", st->pid,
                 pair ? "socketpair" : "socket", post ? "socket_post_create" : "socket_create", hook_throw_on,
                 hook_remove_self ? ", removes itself" : "", r, threw ? " (threw)" : "");
            // The hook throws on every call it can reach: a call that did not
            // throw failed before it (an injected fault, RLIMIT_NOFILE).
            FUZZ_CHECK(threw || r < 0, "the call succeeded through a throwing hook: %d", r);
            FUZZ_CHECK(k.counters() == before, "a throwing hook changed the counters");
            FUZZ_CHECK(st->table->lowest_free() == lowest, "a throwing hook changed the table");
            FUZZ_CHECK(st->t->files->open_count() == st->table->fds.size(), "a throwing hook left an fd behind");
            remove_hooks();
            return;
        }
        case 3: {  // hooks that remove themselves (and the other) while they run
            shadow_task* st = task_at(in.u8());
            if (!st)
                return;
            hook_calls = 0;
            hook_throw_on = 0;
            hook_remove_self = true;
            hook_remove_other = (b >> 2) & 1;
            create_hook.emplace("fuzz-create", [this](const sockmodel::cred&, int, int, int, int) {
                return hook_body(create_hook, post_hook);
            });
            post_hook.emplace("fuzz-post", [this](const sockmodel::cred&, const sockmodel::socket*, int, int, int,
                                                  int) { return hook_body(post_hook, create_hook); });
            k.security_hooks.add(*create_hook);
            k.security_hooks.add(*post_hook);
            static constexpr std::array<int, 4> fams{AF_UNIX, AF_INET, AF_INET6, AF_PACKET};
            static constexpr std::array<int, 3> types{SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
            const int family = in.pick(fams);
            const int type = in.pick(types);
            logf("misuse: self-removing hooks%s", hook_remove_other ? " (each removes the other too)" : "");
            // They answer 0: socket() is as without them, checked as usual.
            do_socket(*st, family, type, 0);
            FUZZ_CHECK(hook_calls <= 2, "self-removing hooks called %d times in one socket()", hook_calls);
            do_socket(*st, family, type, 0);
            FUZZ_CHECK(hook_calls <= 2, "self-removing hooks called %d times in two socket()s", hook_calls);
            remove_hooks();
            return;
        }
        }
    }

    void step(input& in)
    {
        const std::uint8_t kind = in.u8();
        if (kind >= 0xf0) {
            misuse(in);
            check_all();
            ++host().steps;
            return;
        }
        switch (kind % 16) {
        case 0: spawn(in); break;
        case 1: clone(in); break;
        case 2: exit_task(in); break;
        case 3: case 4: socket(in); break;
        case 5: burst(in); break;
        case 6: case 7: close(in); break;
        case 8: dup(in); break;
        case 9: fcntl(in); break;
        case 10: getsockopt(in); break;
        case 11: rlimit(in); break;
        case 12: registration(in); break;
        case 13: module_state(in); break;
        case 14: sysctl(in); break;
        case 15: fault(in); break;
        }
        check_all();
        ++host().steps;
    }
};

}  // namespace

// How much was compared, printed when libFuzzer exits: a run that compared
// nothing with the verdict or the live kernel checked less than it seems.
extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    std::atexit([] {
        const host_state& h = host();
        std::fprintf(stderr,
                     "sockmodel-fuzz: %ld inputs, %ld steps, %ld socket() answers checked against the verdict, %ld "
                     "against the live kernel (%zu distinct calls), %ld out_module_busy leaks\n",
                     h.runs, h.steps, h.verdict_compared, h.live_compared, h.cache.size(), h.leaked);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    step_log().clear();
    input in{data, size};
    run r;
    // Every input starts with one root task holding fds 0..2.
    std::uint8_t first[] = {static_cast<std::uint8_t>(8)};
    input boot{first, sizeof first};
    r.spawn(boot);
    r.check_all();
    while (!in.empty())
        r.step(in);
    r.check_end();
    if (host().verbose)  // SOCKMODEL_FUZZ_VERBOSE=1: each input's steps, e.g. to read a seed
        std::fprintf(stderr, "%s(%ld leaked)\n", step_log().c_str(), r.leaked);
    ++host().runs;
    host().leaked += r.leaked;
    return 0;
}
