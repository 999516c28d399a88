// setrlimit/getrlimit/prlimit against the live kernel: in a forked child (so
// this process's limits stay as they are), once as root and once as an
// unprivileged child (setgroups(0, NULL), setresgid/setresuid 65534), the
// same sequence of calls runs on the live kernel (raw system calls) and on a
// model task with the same starting limits and credentials. Every call's
// return (0 or -errno) and the limits read back after it must agree.
//
// The model's cred is built from what the live child really has: capget(2)
// gives its effective set, and the model cred loses every capability the
// live process lacks (the host's root has no CAP_SYS_RESOURCE, so raising a
// hard limit is EPERM for it). fs.nr_open is read from /proc and given to
// the model. Needs root (to switch to uid 65534 and to run as root).

#include <sockmodel/sockmodel.hpp>

#include <host/child.hpp>

#include "live_kernel.hpp"

#include <doctest/doctest.h>

#include <grp.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace sockmodel;
using K = kernel<>;
constexpr int nofile = K::abi::rlimit_nofile;
static_assert(nofile == RLIMIT_NOFILE);

struct record {
    char what[64];
    long live_ret;
    long model_ret;
    std::uint64_t live_cur, live_max;    // RLIMIT_NOFILE read back after the call
    std::uint64_t model_cur, model_max;
    std::uint64_t live_old_cur, live_old_max;  // prlimit's old value, when asked for
    std::uint64_t model_old_cur, model_old_max;
};

unsigned long read_ulong(const char* path)
{
    std::ifstream in(path);
    unsigned long v = 0;
    in >> v;
    if (!in)
        throw sockmodel_host::setup_error(std::string("read ") + path, errno);
    return v;
}

std::uint64_t live_effective_caps()
{
    sockmodel_host::detail::user_cap_header hdr{};
    sockmodel_host::detail::user_cap_data data[2]{};
    return sockmodel_host::detail::get_caps(hdr, data).effective;
}

long sys_ret(long r) { return r < 0 ? -errno : r; }

// The sequence, in the child. `unprivileged`: switch to 65534 first.
void run_sequence(sockmodel_host::child_context& c, bool unprivileged)
{
    const unsigned long nr_open = read_ulong("/proc/sys/fs/nr_open");
    const unsigned long pid_max = read_ulong("/proc/sys/kernel/pid_max");
    struct ::rlimit host{};
    if (::getrlimit(RLIMIT_NOFILE, &host) != 0)
        sockmodel_host::setup_failed("getrlimit");
    // Starting limits below the host's hard limit (20000 on this host).
    const rlim_t hard = host.rlim_max > 2000 ? host.rlim_max - 1000 : host.rlim_max;
    if (hard < 200)
        throw sockmodel_host::setup_error("host hard RLIMIT_NOFILE too low for the sequence", 0);
    const rlim_t soft = hard / 2;
    const struct ::rlimit start{soft, hard};
    if (::setrlimit(RLIMIT_NOFILE, &start) != 0)
        sockmodel_host::setup_failed("setrlimit (start)");

    // The live init's limits (host state), read while still root, become the
    // model init's: prlimit on pid 1 then reads the same values.
    struct ::rlimit init_lim{};
    if (::syscall(SYS_prlimit64, 1, RLIMIT_NOFILE, nullptr, &init_lim) != 0)
        sockmodel_host::setup_failed("prlimit(1) (setup)");

    if (unprivileged) {
        if (::setgroups(0, nullptr) != 0)
            sockmodel_host::setup_failed("setgroups");
        if (::setresgid(65534, 65534, 65534) != 0)
            sockmodel_host::setup_failed("setresgid");
        if (::setresuid(65534, 65534, 65534) != 0)
            sockmodel_host::setup_failed("setresuid");
    }
    const std::uint64_t live_caps = live_effective_caps();

    K k;
    k.files.set_nr_open(static_cast<unsigned>(nr_open));
    task_struct& init = k.spawn();  // pid 1, root's ids, as the live init
    if (init.pid != 1)
        throw sockmodel_host::setup_error("the model's first task is not pid 1", 0);
    init.signal->rlim[nofile] = {init_lim.rlim_cur, init_lim.rlim_max};
    task_struct& t = k.spawn();
    const resource_limit m_start{start.rlim_cur, start.rlim_max};
    if (k.setrlimit(t, nofile, &m_start) != 0)
        throw sockmodel_host::setup_error("model setrlimit (start)", 0);
    cred mc = unprivileged ? cred::user() : cred::root();
    mc.cap_effective.val &= live_caps;  // what the live process lacks, the model's lacks
    t.cred = mc;
    c.out.put<std::uint64_t>(live_caps);

    std::vector<record> recs;
    auto add = [&](const char* what, long live, long model, const struct ::rlimit* live_old = nullptr,
                   const resource_limit* model_old = nullptr) {
        record r{};
        std::snprintf(r.what, sizeof r.what, "%s", what);
        r.live_ret = live;
        r.model_ret = model;
        struct ::rlimit now{};
        ::getrlimit(RLIMIT_NOFILE, &now);
        resource_limit mnow{};
        k.getrlimit(t, nofile, &mnow);
        r.live_cur = now.rlim_cur;
        r.live_max = now.rlim_max;
        r.model_cur = mnow.rlim_cur;
        r.model_max = mnow.rlim_max;
        if (live_old) {
            r.live_old_cur = live_old->rlim_cur;
            r.live_old_max = live_old->rlim_max;
        }
        if (model_old) {
            r.model_old_cur = model_old->rlim_cur;
            r.model_old_max = model_old->rlim_max;
        }
        recs.push_back(r);
    };
    auto setl = [&](const char* what, int resource, rlim_t cur, rlim_t max) {
        const struct ::rlimit l{cur, max};
        const resource_limit m{cur, max};
        add(what, sys_ret(::syscall(SYS_setrlimit, resource, &l)), k.setrlimit(t, resource, &m));
    };
    auto getl = [&](const char* what, int resource) {
        struct ::rlimit l{};
        resource_limit m{};
        const long lr = sys_ret(::syscall(SYS_getrlimit, resource, &l));
        const long mr = k.getrlimit(t, resource, &m);
        add(what, lr, mr, &l, &m);
    };
    auto prl = [&](const char* what, long live_pid, int model_pid, int resource, bool with_new, rlim_t cur,
                   rlim_t max) {
        const struct ::rlimit l{cur, max};
        const resource_limit m{cur, max};
        struct ::rlimit lold{};
        resource_limit mold{};
        const long lr = sys_ret(::syscall(SYS_prlimit64, live_pid, resource, with_new ? &l : nullptr, &lold));
        const long mr = k.prlimit(t, model_pid, resource, with_new ? &m : nullptr, &mold);
        add(what, lr, mr, &lold, &mold);
    };

    getl("getrlimit NOFILE (start)", RLIMIT_NOFILE);
    setl("lower soft", RLIMIT_NOFILE, soft / 2, hard);
    setl("raise soft up to hard", RLIMIT_NOFILE, hard, hard);
    setl("soft > hard", RLIMIT_NOFILE, hard + 1, hard);
    setl("raise hard above current", RLIMIT_NOFILE, hard, hard + 500);
    setl("max > nr_open", RLIMIT_NOFILE, 1, static_cast<rlim_t>(nr_open) + 1);
    setl("soft > hard and max > nr_open", RLIMIT_NOFILE, static_cast<rlim_t>(nr_open) + 2,
         static_cast<rlim_t>(nr_open) + 1);
    setl("resource 16", 16, 1, 2);
    setl("resource -1", -1, 1, 2);
    getl("getrlimit resource 16", 16);
    setl("RLIM_INFINITY for NOFILE", RLIMIT_NOFILE, RLIM_INFINITY, RLIM_INFINITY);
    setl("lower hard", RLIMIT_NOFILE, 100, hard - 100);
    setl("raise hard back", RLIMIT_NOFILE, 100, hard);
    setl("raise soft to the new hard", RLIMIT_NOFILE, hard - 100, hard - 100);
    prl("prlimit pid 0, read", 0, 0, RLIMIT_NOFILE, false, 0, 0);
    prl("prlimit pid 0, lower", 0, 0, RLIMIT_NOFILE, true, 90, hard - 200);
    prl("prlimit own pid, read", ::getpid(), t.pid, RLIMIT_NOFILE, false, 0, 0);
    prl("prlimit own pid, lower", ::getpid(), t.pid, RLIMIT_NOFILE, true, 80, hard - 300);
    prl("prlimit own pid, raise hard", ::getpid(), t.pid, RLIMIT_NOFILE, true, 80, hard);
    prl("prlimit own pid, soft > hard", ::getpid(), t.pid, RLIMIT_NOFILE, true, 81, 80);
    prl("prlimit pid 0, resource 16", 0, 0, 16, false, 0, 0);
    prl("prlimit unknown pid", static_cast<long>(pid_max), 999999, RLIMIT_NOFILE, false, 0, 0);
    prl("prlimit init (pid 1), read", 1, init.pid, RLIMIT_NOFILE, false, 0, 0);
    setl("other resource (RLIMIT_CPU) lowered", RLIMIT_CPU, 1000, 2000);
    getl("getrlimit RLIMIT_CPU", RLIMIT_CPU);
    setl("other resource raised hard", RLIMIT_CPU, 1000, 3000);
    setl("soft and hard 0", RLIMIT_NOFILE, 0, 0);
    c.out.put_vector(recs);
}

void compare(const std::vector<unsigned char>& bytes, const std::string& who)
{
    sockmodel_host::byte_source in(bytes);
    const auto caps = in.get<std::uint64_t>();
    const std::vector<record> recs = in.get_vector<record>();
    REQUIRE(in.done());
    char hex[32];
    std::snprintf(hex, sizeof hex, "%#llx", static_cast<unsigned long long>(caps));
    MESSAGE(who << ": live effective capabilities " << std::string(hex) << ", " << recs.size()
                << " calls compared with the model");
    for (const record& r : recs) {
        CAPTURE(who);
        CAPTURE(std::string(r.what));
        CHECK(r.model_ret == r.live_ret);
        CHECK(r.model_cur == r.live_cur);
        CHECK(r.model_max == r.live_max);
        CHECK(r.model_old_cur == r.live_old_cur);
        CHECK(r.model_old_max == r.live_old_max);
    }
    CHECK(recs.size() >= 25);
}

}  // namespace

TEST_CASE("live differential: setrlimit/getrlimit/prlimit as root and as uid 65534")
{
    if (!live_kernel::root_or_skip("switches a forked child to uid 65534 and compares root's answers"))
        return;
    struct ::rlimit before{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
    const auto as_root = sockmodel_host::run_in_child([](sockmodel_host::child_context& c) { run_sequence(c, false); });
    compare(as_root, "root");
    const auto as_user = sockmodel_host::run_in_child([](sockmodel_host::child_context& c) { run_sequence(c, true); });
    compare(as_user, "uid 65534");

    // This process's limits were not touched.
    struct ::rlimit now{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &now) == 0);
    CHECK(now.rlim_cur == before.rlim_cur);
    CHECK(now.rlim_max == before.rlim_max);
}
