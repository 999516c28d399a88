// Differential conformance of socketpair(2): the model against the live
// kernel over a grid of (family, type, protocol), as root and as nobody, in
// forked children; each row compares the return, the two numbers the call
// left in sv (written before the sockets are made, so also on failure), and
// for a pair what each fd reads back (F_GETFD, F_GETFL, SO_TYPE, SO_PROTOCOL,
// SO_DOMAIN) and close's answer. Then EMFILE with zero and with one fd left
// below RLIMIT_NOFILE, and a null array, against create-time errors.
#include "live_kernel.hpp"

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <vector>

namespace {

namespace lk = live_kernel;
using model_kernel = sockmodel::kernel<>;

struct pair_outcome {
    int ret = 0;
    int sv[2] = {-7, -7};
    int fd_flags[2] = {}, fl_flags[2] = {}, so_type[2] = {}, so_protocol[2] = {}, so_domain[2] = {}, close_ret[2] = {};

    friend bool operator==(const pair_outcome&, const pair_outcome&) = default;
};
static_assert(std::is_trivially_copyable_v<pair_outcome>);

std::string describe(const pair_outcome& o)
{
    std::string s = lk::ret_name(o.ret) + " sv {" + std::to_string(o.sv[0]) + ", " + std::to_string(o.sv[1]) + "}";
    if (o.ret == 0)
        for (int i = 0; i < 2; ++i)
            s += " | F_GETFD " + lk::ret_name(o.fd_flags[i]) + " F_GETFL " + lk::hex(o.fl_flags[i]) + " SO_TYPE " +
                 lk::ret_name(o.so_type[i]) + " SO_PROTOCOL " + lk::ret_name(o.so_protocol[i]) + " SO_DOMAIN " +
                 lk::ret_name(o.so_domain[i]) + " close " + lk::ret_name(o.close_ret[i]);
    return s;
}

// One call and its read-backs through either side (live_sys or model_sys).
template <class Sys>
pair_outcome probe(Sys& sys, const lk::socket_input& in)
{
    pair_outcome o;
    o.ret = sys.socketpair(in.family, in.type, in.protocol, o.sv);
    if (o.ret != 0)
        return o;
    for (int i = 0; i < 2; ++i) {
        const int fd = o.sv[i];
        o.fd_flags[i] = sys.fcntl(fd, F_GETFD);
        o.fl_flags[i] = sys.fcntl(fd, F_GETFL);
        o.so_type[i] = sys.getsockopt(fd, SO_TYPE);
        o.so_protocol[i] = sys.getsockopt(fd, SO_PROTOCOL);
        o.so_domain[i] = sys.getsockopt(fd, SO_DOMAIN);
    }
    o.close_ret[0] = sys.close(o.sv[0]);
    o.close_ret[1] = sys.close(o.sv[1]);
    return o;
}

std::vector<lk::socket_input> pair_grid()
{
    std::vector<int> types;
    const int flag_sets[] = {0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC};
    for (int base = 0; base <= 15; ++base)
        for (int flags : flag_sets)
            types.push_back(base | flags);
    for (int stray : {0x10, 0x100, 0x40000000, -1})
        types.push_back(stray | SOCK_STREAM);
    types.push_back(0x100 | SOCK_DGRAM | SOCK_CLOEXEC);
    const int protocols[] = {-1, 0, 1, 2, 6, 17, 41, 58, 255, 256, INT_MAX,
                             static_cast<int>(htons(ETH_P_ALL)), static_cast<int>(htons(ETH_P_IP))};
    std::vector<lk::socket_input> v;
    for (int f = -1; f <= AF_MAX + 2; ++f)
        for (int t : types)
            for (int p : protocols)
                v.push_back({f, t, p});
    return v;
}

struct live_pairs {
    lk::fd_snapshot snapshot;
    std::vector<pair_outcome> outcomes;
};

live_pairs run_live(const std::vector<lk::socket_input>& inputs, lk::identity who)
{
    const std::vector<unsigned char> bytes = lk::run_in_child(who, [&](lk::byte_sink& out) {
        const lk::fd_snapshot snap = lk::snapshot_fds();
        lk::live_sys sys;
        std::vector<pair_outcome> outcomes;
        outcomes.reserve(inputs.size());
        for (const auto& in : inputs)
            outcomes.push_back(probe(sys, in));
        lk::put_snapshot(out, snap);
        out.put_vector(outcomes);
    });
    lk::byte_source in(bytes);
    live_pairs r;
    r.snapshot = lk::get_snapshot(in);
    r.outcomes = in.get_vector<pair_outcome>();
    if (!in.done() || r.outcomes.size() != inputs.size())
        throw std::runtime_error("the child sent a malformed grid");
    return r;
}

}  // namespace

TEST_CASE("socketpair() agrees with the live kernel over the grid, as root and as nobody")
{
    if (!lk::root_or_skip("the socketpair grid compares root and nobody, and nobody is made by dropping root"))
        return;
    const std::vector<lk::socket_input> inputs = pair_grid();
    for (lk::identity who : {lk::identity::inherit, lk::identity::nobody}) {
        const char* name = lk::identity_name(who);
        CAPTURE(name);
        const live_pairs live = run_live(inputs, who);

        model_kernel k;
        k.init_net.sysctl = lk::host_net_sysctl();
        sockmodel::task_struct& t = k.spawn(lk::model_cred(who));
        lk::mirror_fds(k, t, live.snapshot);
        lk::model_sys<model_kernel> sys(k, t);

        std::size_t compared = 0, mismatches = 0, pairs = 0;
        std::vector<std::string> first;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const pair_outcome model_says = probe(sys, inputs[i]);
            ++compared;
            pairs += live.outcomes[i].ret == 0;
            if (model_says == live.outcomes[i])
                continue;
            ++mismatches;
            if (first.size() < 20)
                first.push_back(lk::describe(inputs[i]) + "\n      model:  " + describe(model_says) +
                                "\n      kernel: " + describe(live.outcomes[i]));
        }
        std::string lines;
        for (const auto& l : first)
            lines += "\n  " + l;
        MESSAGE("socketpair grid as " << std::string(name) << ": " << compared << " compared (" << pairs << " pairs made), "
                                      << mismatches << " mismatches" << lines);
        CHECK(mismatches == 0);
        CHECK(pairs > 0);
        k.exit_all();
        CHECK(k.counters() == sockmodel::kernel_counters{});
    }
}

TEST_CASE("socketpair(): EMFILE with zero and one fd left, and a null array, before any create error")
{
    if (!lk::root_or_skip("runs the same scenario as root and as nobody"))
        return;
    // For each input: zero, one and two fds free below RLIMIT_NOFILE (set in
    // the forked child, and the same on the model task), with a real and a
    // null array; then the next socket() shows which fd is lowest again.
    const lk::socket_input inputs[] = {
        {AF_UNIX, SOCK_STREAM, 0},       {AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0}, {AF_INET, SOCK_STREAM, 0},
        {999, SOCK_STREAM, 0},           {-1, 12, 0},                            {AF_UNIX, 12, 0},
        {AF_UNIX, SOCK_STREAM, 5},       {AF_UNIX, SOCK_RDM, 0},                 {AF_INET, SOCK_DGRAM, IPPROTO_ICMP},
        {AF_UNIX, SOCK_STREAM | 0x100, 0}, {AF_VSOCK, SOCK_DGRAM, 0},            {AF_PACKET, SOCK_RAW, 0},
    };
    const auto scenario = [&](auto& sys) {
        // Every fd below 64 open (the inherited ones and fillers in the holes),
        // RLIMIT_NOFILE 64; each case closes the nfree highest fillers first.
        sys.note("setrlimit 64", sys.set_nofile(64));
        std::vector<int> fillers;
        for (int fd; (fd = sys.socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0;)
            fillers.push_back(fd);
        sys.note("fillers", static_cast<int>(fillers.size()));
        for (const auto& in : inputs)
            for (int nfree = 0; nfree <= 2; ++nfree)
                for (bool null_sv : {false, true}) {
                    const std::string tag = lk::describe(in) + " free " + std::to_string(nfree) +
                                            (null_sv ? " sv NULL" : "");
                    for (int i = 0; i < nfree; ++i)
                        sys.close(fillers[fillers.size() - 1 - static_cast<std::size_t>(i)]);
                    int sv[2] = {-7, -7};
                    const int r = sys.note(tag, sys.socketpair(in.family, in.type, in.protocol, null_sv ? nullptr : sv));
                    sys.note("sv[0] " + tag, sv[0]);
                    sys.note("sv[1] " + tag, sv[1]);
                    if (r == 0) {
                        sys.note("close sv[0] " + tag, sys.close(sv[0]));
                        sys.note("close sv[1] " + tag, sys.close(sv[1]));
                    }
                    // The lowest free fd is the one socketpair reserved first, given
                    // back; exactly nfree slots are free again (nothing leaked).
                    int refilled = 0;
                    for (int fd; (fd = sys.socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0; ++refilled)
                        if (refilled == 0)
                            sys.note("next socket " + tag, fd);
                    sys.note("refilled " + tag, refilled);
                }
        for (int fd : fillers)
            sys.close(fd);
        sys.set_nofile(1024);
    };
    for (lk::identity who : {lk::identity::inherit, lk::identity::nobody}) {
        CAPTURE(lk::identity_name(who));
        const lk::scenario_run live = lk::run_scenario_live(who, scenario);
        model_kernel k;
        k.init_net.sysctl = lk::host_net_sysctl();
        sockmodel::task_struct& t = k.spawn(lk::model_cred(who));
        const std::vector<lk::observation> model = lk::run_scenario_model(k, t, live.snapshot, scenario);
        const std::vector<std::string> diff = lk::diff_observations(live.observations, model);
        std::string lines;
        for (std::size_t i = 0; i < diff.size() && i < 20; ++i)
            lines += "\n  " + diff[i];
        std::size_t emfile = 0, efault = 0;
        for (const auto& o : live.observations) {
            emfile += o.value == -EMFILE;
            efault += o.value == -EFAULT;
        }
        MESSAGE("socketpair EMFILE scenario as " << std::string(lk::identity_name(who)) << ": " << live.observations.size()
                                                 << " observations (" << emfile << " EMFILE, " << efault
                                                 << " EFAULT), " << diff.size() << " differences" << lines);
        CHECK(diff.empty());
        CHECK(emfile > 0);
        CHECK(efault > 0);
        k.exit_all();
        CHECK(k.counters() == sockmodel::kernel_counters{});
    }
}
