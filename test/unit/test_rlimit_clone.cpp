// getrlimit/setrlimit/prlimit (kernel/sys.c: do_prlimit, check_prlimit_permission)
// and clone's sharing rules (kernel/fork.c: copy_files, copy_signal and the
// flag checks of copy_process) in the model. Needs no root.
//
// Ground truth:
//  - the errno cases that change nothing (EINVAL, EPERM above nr_open, EFAULT,
//    ESRCH, the clone flag rules) are made on the live kernel in the same
//    run and compared with the model's answer ("live:" test cases below);
//  - the cases that change limits or create threads run on the live kernel
//    in a forked child (so this process's limits stay as they are), again
//    in the same run, and are compared with the model;
//  - permission checks that need another credential (EPERM raising a hard
//    limit, prlimit on another user's task) are compared with the live
//    kernel, as root and as uid 65534, by test_rlimit_live.cpp; the model
//    values here follow the same sequence.

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <vector>

namespace {

using namespace sockmodel;
using K = kernel<>;
using abi = K::abi;
constexpr int nofile = abi::rlimit_nofile;

resource_limit get(K& k, task_struct& t, int resource = nofile)
{
    resource_limit r{0, 0};
    REQUIRE(k.getrlimit(t, resource, &r) == 0);
    return r;
}

int set(K& k, task_struct& t, unsigned long cur, unsigned long max, int resource = nofile)
{
    const resource_limit r{cur, max};
    return k.setrlimit(t, resource, &r);
}

unsigned read_unsigned(const char* path)
{
    std::ifstream in(path);
    unsigned v = 0;
    in >> v;
    REQUIRE(in);
    return v;
}

// A raw system call's answer as the model gives it: 0/value or -errno.
long sys_ret(long r) { return r < 0 ? -errno : r; }

cred root_without_sys_resource()
{
    return cred::root().with_caps(kernel_cap_t::full().lower(capability::sys_resource));
}

}  // namespace

TEST_CASE("rlimit: a new task has init's RLIMIT_NOFILE and unlimited others")
{
    // INIT_RLIMITS (include/asm-generic/resource.h): NOFILE {INR_OPEN_CUR, INR_OPEN_MAX}.
    K k;
    task_struct& t = k.spawn();
    CHECK(get(k, t) == resource_limit{1024, 4096});
    CHECK(get(k, t, 0) == resource_limit{rlim_infinity, rlim_infinity});
}

TEST_CASE("rlimit: do_prlimit's checks in the kernel's order")
{
    K k;
    REQUIRE(k.files.nr_open() == 1024 * 1024);  // sysctl_nr_open's default; live: read below
    task_struct& root = k.spawn();
    task_struct& user = k.spawn(cred::user());
    task_struct& root_nocap = k.spawn(root_without_sys_resource());

    for (task_struct* t : {&root, &user, &root_nocap}) {
        CAPTURE(t->cred.uid);
        // resource out of range: EINVAL before anything else
        CHECK(set(k, *t, 1, 2, rlim_nlimits) == -EINVAL);
        CHECK(set(k, *t, 1, 2, -1) == -EINVAL);
        resource_limit r{};
        CHECK(k.getrlimit(*t, rlim_nlimits, &r) == -EINVAL);
        // cur > max: EINVAL, also when max is above nr_open (checked first)
        CHECK(set(k, *t, 11, 10) == -EINVAL);
        CHECK(set(k, *t, rlim_infinity, 1) == -EINVAL);
        // NOFILE max above fs.nr_open: EPERM for everyone, root with all caps too
        CHECK(set(k, *t, 1, k.files.nr_open() + 1UL) == -EPERM);
        CHECK(set(k, *t, rlim_infinity, rlim_infinity) == -EPERM);
        // ... but other resources may be unlimited
        CHECK(set(k, *t, rlim_infinity, rlim_infinity, 0) == 0);
        // null pointers
        CHECK(k.setrlimit(*t, nofile, nullptr) == -EFAULT);
        CHECK(k.getrlimit(*t, nofile, nullptr) == -EFAULT);
        CHECK(get(k, *t) == resource_limit{1024, 4096});  // nothing changed
    }

    // Raising the hard limit needs CAP_SYS_RESOURCE; the host's root lacks it
    // (CapEff 0x1fffeffffff, checked live by test_rlimit_live.cpp).
    CHECK(set(k, root, 1024, 8192) == 0);
    CHECK(get(k, root) == resource_limit{1024, 8192});
    CHECK(set(k, root, 1024, k.files.nr_open()) == 0);  // exactly nr_open is allowed
    CHECK(set(k, user, 1024, 4097) == -EPERM);
    CHECK(set(k, root_nocap, 1024, 4097) == -EPERM);
    CHECK(get(k, user) == resource_limit{1024, 4096});

    // Lowering works for anyone, and then raising the soft limit up to the
    // new hard one, but not the hard one back.
    for (task_struct* t : {&user, &root_nocap}) {
        CHECK(set(k, *t, 100, 200) == 0);
        CHECK(get(k, *t) == resource_limit{100, 200});
        CHECK(set(k, *t, 200, 200) == 0);
        CHECK(set(k, *t, 201, 201) == -EPERM);
        CHECK(set(k, *t, 200, 4096) == -EPERM);
        CHECK(set(k, *t, 0, 0) == 0);  // soft and hard 0 are legal
        CHECK(get(k, *t) == resource_limit{0, 0});
        CHECK(k.socket(*t, AF_UNIX, SOCK_STREAM, 0) == -EMFILE);
    }

    // A lower nr_open moves the EPERM point.
    k.files.set_nr_open(2048);
    CHECK(set(k, root, 1024, 2049) == -EPERM);
    CHECK(set(k, root, 1024, 2048) == 0);
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}

TEST_CASE("rlimit: prlimit on itself and on other tasks")
{
    K k;
    task_struct& root = k.spawn();
    task_struct& user = k.spawn(cred::user());
    task_struct& user2 = k.spawn(cred::user());            // same ids as `user`
    task_struct& other = k.spawn(cred::user(1000, 1000));  // another user
    task_struct& root_nocap = k.spawn(root_without_sys_resource());

    resource_limit old{};
    const resource_limit lower{10, 20};
    // pid 0 and the own pid are the caller
    CHECK(k.prlimit(user, 0, nofile, nullptr, &old) == 0);
    CHECK(old == resource_limit{1024, 4096});
    CHECK(k.prlimit(user, user.pid, nofile, &lower, &old) == 0);
    CHECK(old == resource_limit{1024, 4096});
    CHECK(get(k, user) == lower);
    // both pointers null: nothing read, nothing written, but the checks run
    CHECK(k.prlimit(user, 0, nofile, nullptr, nullptr) == 0);
    CHECK(k.prlimit(user, 0, rlim_nlimits, nullptr, nullptr) == -EINVAL);

    // unknown pid: ESRCH (before the resource is looked at)
    CHECK(k.prlimit(root, 999999, nofile, nullptr, &old) == -ESRCH);
    CHECK(k.prlimit(root, 999999, rlim_nlimits, nullptr, nullptr) == -ESRCH);

    // a task with the same uids and gids: allowed, read and write
    CHECK(k.prlimit(user2, user.pid, nofile, nullptr, &old) == 0);
    CHECK(old == lower);
    const resource_limit lower2{5, 20};
    CHECK(k.prlimit(user2, user.pid, nofile, &lower2, nullptr) == 0);
    CHECK(get(k, user) == lower2);
    // another user's task: EPERM without CAP_SYS_RESOURCE, even to read
    CHECK(k.prlimit(user, other.pid, nofile, nullptr, &old) == -EPERM);
    CHECK(k.prlimit(other, user.pid, nofile, nullptr, &old) == -EPERM);
    // root's ids match root's tasks, even without the capability...
    CHECK(k.prlimit(root_nocap, root.pid, nofile, nullptr, &old) == 0);
    // ...but not a user's
    CHECK(k.prlimit(root_nocap, user.pid, nofile, nullptr, &old) == -EPERM);
    // CAP_SYS_RESOURCE overrides the id check
    CHECK(k.prlimit(root, other.pid, nofile, &lower, &old) == 0);
    CHECK(old == resource_limit{1024, 4096});
    CHECK(get(k, other) == lower);
    // the hard-limit check is the caller's capability, not the target's
    const resource_limit raise{10, 4096};
    CHECK(k.prlimit(user2, user.pid, nofile, &raise, nullptr) == -EPERM);
    CHECK(k.prlimit(root, user.pid, nofile, &raise, nullptr) == 0);
    CHECK(get(k, user) == raise);
}

TEST_CASE("rlimit: the limit acts on socket() (EMFILE at the limit)")
{
    K k;
    task_struct& t = k.spawn(cred::user());
    CHECK(set(k, t, 3, 4096) == 0);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == 0);
    CHECK(k.socket(t, AF_INET, SOCK_DGRAM, 0) == 1);
    CHECK(k.socket(t, AF_UNIX, SOCK_DGRAM, 0) == 2);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == -EMFILE);
    CHECK(k.dup(t, 0) == -EMFILE);
    CHECK(k.close(t, 1) == 0);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == 1);
    // lowered below what is open: the open fds stay, new ones fail until
    // one below the limit is free
    CHECK(set(k, t, 1, 4096) == 0);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == -EMFILE);
    CHECK(k.close(t, 2) == 0);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == -EMFILE);
    CHECK(k.close(t, 0) == 0);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == 0);
    CHECK(k.counters().open_fds == 2);
    // raised again (soft only: no capability needed)
    CHECK(set(k, t, 4096, 4096) == 0);
    CHECK(k.socket(t, AF_UNIX, SOCK_STREAM, 0) == 2);
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}

TEST_CASE("live: the rlimit errors that change nothing")
{
    // Each call below fails on the live kernel before it changes anything,
    // so this process can make it. The model task starts with the same
    // limits and a cred like this process's.
    struct ::rlimit host{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &host) == 0);
    const unsigned nr_open = read_unsigned("/proc/sys/fs/nr_open");
    K k;
    k.files.set_nr_open(nr_open);
    // The starting limits are set by a fully privileged task (as whoever
    // started this process could), then the task takes this process's cred.
    task_struct& t = k.spawn();
    const resource_limit start{host.rlim_cur, host.rlim_max};
    REQUIRE(k.setrlimit(t, nofile, &start) == 0);
    t.cred = ::geteuid() == 0 ? root_without_sys_resource() : cred::user(::getuid(), ::getgid());

    struct call {
        const char* what;
        long live;
        long model;
    };
    struct ::rlimit bad_order{11, 10}, above{1, static_cast<rlim_t>(nr_open) + 1}, inf{RLIM_INFINITY, RLIM_INFINITY};
    const resource_limit m_bad_order{11, 10}, m_above{1, nr_open + 1UL}, m_inf{rlim_infinity, rlim_infinity};
    struct ::rlimit ok = host;
    resource_limit m_ok{};
    const int pid_max = static_cast<int>(read_unsigned("/proc/sys/kernel/pid_max"));
    const std::vector<call> calls{
        {"setrlimit(16)", sys_ret(::syscall(SYS_setrlimit, 16, &ok)), set(k, t, 1, 2, 16)},
        {"setrlimit(-1)", sys_ret(::syscall(SYS_setrlimit, -1, &ok)), set(k, t, 1, 2, -1)},
        {"getrlimit(16)", sys_ret(::syscall(SYS_getrlimit, 16, &ok)), k.getrlimit(t, 16, &m_ok)},
        {"setrlimit cur > max", sys_ret(::syscall(SYS_setrlimit, RLIMIT_NOFILE, &bad_order)),
         k.setrlimit(t, nofile, &m_bad_order)},
        {"setrlimit max > nr_open", sys_ret(::syscall(SYS_setrlimit, RLIMIT_NOFILE, &above)),
         k.setrlimit(t, nofile, &m_above)},
        {"setrlimit RLIM_INFINITY", sys_ret(::syscall(SYS_setrlimit, RLIMIT_NOFILE, &inf)),
         k.setrlimit(t, nofile, &m_inf)},
        {"setrlimit NULL", sys_ret(::syscall(SYS_setrlimit, RLIMIT_NOFILE, nullptr)),
         k.setrlimit(t, nofile, nullptr)},
        {"getrlimit NULL", sys_ret(::syscall(SYS_getrlimit, RLIMIT_NOFILE, nullptr)),
         k.getrlimit(t, nofile, nullptr)},
        {"prlimit unknown pid", sys_ret(::syscall(SYS_prlimit64, pid_max, RLIMIT_NOFILE, nullptr, &ok)),
         k.prlimit(t, 999999, nofile, nullptr, &m_ok)},
        {"prlimit(0, 16)", sys_ret(::syscall(SYS_prlimit64, 0, 16, nullptr, nullptr)),
         k.prlimit(t, 0, 16, nullptr, nullptr)},
        {"prlimit(0) both NULL", sys_ret(::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, nullptr)),
         k.prlimit(t, 0, nofile, nullptr, nullptr)},
        {"prlimit(self) max > nr_open", sys_ret(::syscall(SYS_prlimit64, ::getpid(), RLIMIT_NOFILE, &above, nullptr)),
         k.prlimit(t, t.pid, nofile, &m_above, nullptr)},
    };
    for (const call& c : calls) {
        CAPTURE(c.what);
        CHECK(c.model == c.live);
    }
    struct ::rlimit after{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &after) == 0);
    CHECK(after.rlim_cur == host.rlim_cur);
    CHECK(after.rlim_max == host.rlim_max);
    CHECK(get(k, t) == start);
    MESSAGE(calls.size() << " rlimit calls compared with the live kernel");
}

// The getrlimit syscall runs do_prlimit before copy_to_user
// (kernel/sys.c: `ret = do_prlimit(...); if (!ret) ret = copy_to_user(...)`),
// so a bad resource with a NULL pointer is EINVAL on the live kernel, and in
// the model (kernel.hpp, getrlimit).
TEST_CASE("live: getrlimit(bad resource, NULL) is EINVAL, as do_prlimit runs first")
{
    K k;
    task_struct& t = k.spawn();
    const long live = sys_ret(::syscall(SYS_getrlimit, 16, nullptr));
    REQUIRE(live == -EINVAL);
    CHECK(k.getrlimit(t, 16, nullptr) == live);
}

TEST_CASE("live: clone's flag rules")
{
    // copy_process rejects these before anything is created, so the live
    // calls are harmless: a raw clone that fails returns -1/EINVAL.
    struct rule {
        unsigned long flags;
        const char* what;
    };
    const rule rules[] = {
        {clone_flag::thread, "CLONE_THREAD without CLONE_SIGHAND"},
        {clone_flag::thread | clone_flag::vm, "CLONE_THREAD|CLONE_VM without CLONE_SIGHAND"},
        {clone_flag::sighand, "CLONE_SIGHAND without CLONE_VM"},
        {clone_flag::thread | clone_flag::sighand, "CLONE_THREAD|CLONE_SIGHAND without CLONE_VM"},
        {clone_flag::thread | clone_flag::sighand | clone_flag::files, "... |CLONE_FILES without CLONE_VM"},
    };
    static_assert(clone_flag::vm == CLONE_VM && clone_flag::files == CLONE_FILES &&
                  clone_flag::sighand == CLONE_SIGHAND && clone_flag::thread == CLONE_THREAD);
    K k;
    task_struct& p = k.spawn();
    for (const rule& r : rules) {
        CAPTURE(r.what);
        const long live = sys_ret(::syscall(SYS_clone, r.flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
        REQUIRE(live <= 0);  // never a child: all of them must fail
        CHECK(live == -EINVAL);
        CHECK(k.clone(p, r.flags) == live);
    }
    // The valid combinations succeed in the model.
    CHECK(k.clone(p, clone_flag::vm | clone_flag::sighand) > 0);
    CHECK(k.clone(p, clone_flag::pthread) > 0);
    CHECK(k.clone(p, 0) > 0);
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}

TEST_CASE("clone: CLONE_FILES shares the descriptor table")
{
    K k;
    task_struct& a = k.spawn();
    const int pid = k.clone(a, clone_flag::files);
    REQUIRE(pid > 0);
    task_struct* b = k.find_task(pid);
    REQUIRE(b != nullptr);
    CHECK(b->tgid == pid);  // a process of its own
    CHECK(b->files == a.files);

    CHECK(k.socket(a, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) == 0);
    CHECK(k.fcntl(*b, 0, f_getfd) == fd_cloexec_flag);  // visible to the other
    CHECK(k.socket(*b, AF_INET, SOCK_STREAM, 0) == 1);  // lowest free fd of the shared table
    CHECK(k.socket(a, AF_UNIX, SOCK_DGRAM, 0) == 2);
    CHECK(k.counters().open_fds == 3);                  // one table, counted once
    CHECK(k.close(*b, 0) == 0);
    CHECK(k.fcntl(a, 0, f_getfd) == -EBADF);            // closed for both
    CHECK(k.close(a, 0) == -EBADF);
    CHECK(k.socket(a, AF_UNIX, SOCK_STREAM, 0) == 0);   // and reused by either

    // exit of one leaves the table to the other
    k.exit(a);
    CHECK(k.counters().open_fds == 3);
    CHECK(k.counters().files == 3);
    CHECK(k.fcntl(*b, 2, f_getfl) == O_RDWR);
    k.exit(*b);
    CHECK(k.counters() == kernel_counters{});
}

TEST_CASE("clone: without CLONE_FILES the table is copied (dup_fd)")
{
    K k;
    task_struct& a = k.spawn();
    CHECK(k.socket(a, AF_UNIX, SOCK_STREAM, 0) == 0);
    CHECK(k.socket(a, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) == 1);
    const int pid = k.clone(a, 0);
    REQUIRE(pid > 0);
    task_struct& b = *k.find_task(pid);
    CHECK(b.files != a.files);
    CHECK(b.signal != a.signal);

    // same files, same flags, both tables counted
    CHECK(k.fcntl(b, 1, f_getfd) == fd_cloexec_flag);
    CHECK(k.fcntl(b, 1, f_getfl) == (O_RDWR | O_NONBLOCK));
    int v = 0;
    CHECK(k.getsockopt(b, 1, abi::sol_socket, abi::so_protocol, &v) == 0);
    CHECK(v == IPPROTO_UDP);
    kernel_counters c = k.counters();
    CHECK(c.open_fds == 4);
    CHECK(c.files == 2);    // the copy refers to the same struct files
    CHECK(c.sockets == 2);

    // closing in one leaves the other's open
    CHECK(k.close(b, 0) == 0);
    CHECK(k.fcntl(a, 0, f_getfd) == 0);
    CHECK(k.counters().files == 2);
    // new fds are independent: both get fd 2 (b also 0)
    CHECK(k.socket(b, AF_UNIX, SOCK_STREAM, 0) == 0);
    CHECK(k.socket(a, AF_UNIX, SOCK_STREAM, 0) == 2);
    CHECK(k.socket(b, AF_UNIX, SOCK_STREAM, 0) == 2);
    CHECK(k.counters().files == 5);
    CHECK(k.close(a, 1) == 0);
    CHECK(k.counters().files == 5);  // b still holds the UDP socket
    k.exit(b);
    CHECK(k.counters().files == 2);
    CHECK(k.counters().open_fds == 2);
    k.exit(a);
    CHECK(k.counters() == kernel_counters{});
}

TEST_CASE("clone: a thread shares its group's rlimits, a forked child has its own copy")
{
    K k;
    task_struct& p = k.spawn();
    task_struct& th = k.clone_thread(p);
    CHECK(th.tgid == p.tgid);
    CHECK(th.pid != p.pid);
    const int child_pid = k.clone(p, 0);
    REQUIRE(child_pid > 0);
    task_struct& child = *k.find_task(child_pid);

    CHECK(k.socket(p, AF_UNIX, SOCK_STREAM, 0) == 0);
    CHECK(k.socket(th, AF_UNIX, SOCK_STREAM, 0) == 1);
    // the parent lowers its limit after the thread and the child exist
    CHECK(set(k, p, 2, 4096) == 0);
    CHECK(get(k, th) == resource_limit{2, 4096});        // the thread sees it...
    CHECK(k.socket(th, AF_UNIX, SOCK_STREAM, 0) == -EMFILE);
    CHECK(get(k, child) == resource_limit{1024, 4096});  // ...the forked child does not
    CHECK(k.socket(child, AF_UNIX, SOCK_STREAM, 0) == 0);
    CHECK(k.socket(child, AF_UNIX, SOCK_STREAM, 0) == 1);
    CHECK(k.socket(child, AF_UNIX, SOCK_STREAM, 0) == 2);
    // and the thread's own setrlimit is the group's too
    CHECK(set(k, th, 3, 4096) == 0);
    CHECK(get(k, p) == resource_limit{3, 4096});
    CHECK(k.socket(p, AF_UNIX, SOCK_STREAM, 0) == 2);
    // the child's lowering stays its own
    CHECK(set(k, child, 1, 1) == 0);
    CHECK(get(k, p) == resource_limit{3, 4096});
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}

namespace {
struct thread_probe {
    int socket_ret = 0;
    int socket_errno = 0;
};
void* thread_socket(void* arg)
{
    auto* probe = static_cast<thread_probe*>(arg);
    probe->socket_ret = ::socket(AF_UNIX, SOCK_STREAM, 0);
    probe->socket_errno = probe->socket_ret < 0 ? errno : 0;
    return nullptr;
}
}  // namespace

TEST_CASE("live: a pthread sees the lowered RLIMIT_NOFILE, a forked child keeps its own")
{
    // In a forked child (this process's limits stay): lower the soft limit to
    // the lowest free fd after a thread and a grandchild exist; the thread's
    // socket() must fail with EMFILE, the grandchild's must succeed. Exit
    // code: 0 all as the model says, otherwise the number of the failed step.
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int lowest = ::dup(0);
        if (lowest < 0)
            ::_exit(10);
        ::close(lowest);
        int go[2];
        if (::pipe(go) != 0)
            ::_exit(11);
        const pid_t grandchild = ::fork();
        if (grandchild == 0) {
            char c;
            if (::read(go[0], &c, 1) != 1)
                ::_exit(12);
            const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);  // the parent's lowering is not ours
            ::_exit(s >= 0 ? 0 : 13);
        }
        struct ::rlimit r{};
        ::getrlimit(RLIMIT_NOFILE, &r);
        r.rlim_cur = static_cast<rlim_t>(lowest);
        // The thread must exist before the limit is lowered: start it blocked.
        thread_probe probe;
        pthread_t th;
        static int gate[2];
        if (::pipe(gate) != 0)
            ::_exit(14);
        struct gated {
            static void* run(void* arg)
            {
                char c;
                if (::read(gate[0], &c, 1) != 1)
                    return nullptr;
                return thread_socket(arg);
            }
        };
        if (pthread_create(&th, nullptr, &gated::run, &probe) != 0)
            ::_exit(15);
        if (::setrlimit(RLIMIT_NOFILE, &r) != 0)
            ::_exit(16);
        if (::write(gate[1], "x", 1) != 1 || ::write(go[1], "x", 1) != 1)
            ::_exit(17);
        pthread_join(th, nullptr);
        int st = 0;
        ::waitpid(grandchild, &st, 0);
        if (!(probe.socket_ret == -1 && probe.socket_errno == EMFILE))
            ::_exit(1);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            ::_exit(2);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("clone: open_fds counts each shared table once, however the tasks are ordered")
{
    K k;
    task_struct& p1 = k.spawn();
    task_struct& p2 = k.spawn(cred::user());
    task_struct& p3 = k.spawn();
    std::vector<task_struct*> threads;
    for (int round = 0; round < 2; ++round)
        for (task_struct* p : {&p1, &p2, &p3})
            threads.push_back(&k.clone_thread(*p));  // p1 p2 p3 t1 t2 t3 t1' t2' t3'
    // and a process sharing p1's table without being its thread
    const int sharer = k.clone(p1, clone_flag::files);
    REQUIRE(sharer > 0);

    // p1's table gets 1 socket, p2's 2, p3's 3, each opened by a thread
    CHECK(k.socket(*threads[3], AF_UNIX, SOCK_STREAM, 0) == 0);
    CHECK(k.socket(*threads[1], AF_UNIX, SOCK_STREAM, 0) == 0);
    CHECK(k.socket(*threads[4], AF_UNIX, SOCK_STREAM, 0) == 1);
    for (int i = 0; i < 3; ++i)
        CHECK(k.socket(*threads[static_cast<std::size_t>(i % 2 == 0 ? 2 : 5)], AF_INET, SOCK_STREAM, 0) == i);
    CHECK(k.counters().open_fds == 6);
    CHECK(k.counters().files == 6);

    // threads exit in creation order; the tables stay with their leaders
    for (task_struct* t : threads)
        k.exit(*t);
    CHECK(k.counters().open_fds == 6);
    k.exit(p1);
    CHECK(k.counters().open_fds == 6);  // the sharer still has p1's table
    k.exit(*k.find_task(sharer));
    CHECK(k.counters().open_fds == 5);
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}
