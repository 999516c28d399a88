// The model side of sockmodel-trace: a traced kernel, a task set up like a
// program started from a shell, and the socket() (and close()) under trace.
//
// The only file of the tool that touches the kernel object (k->socket,
// k->spawn, k->close, k->setrlimit, k->unshare, k->tracer, k->init_net.sysctl): when that
// API changes, this is the file to adapt.
#pragma once

#include "args.hpp"
#include "output.hpp"

#include <sockmodel/config.hpp>
#include <sockmodel/default_families.hpp>
#include <sockmodel/kernel.hpp>
#include <sockmodel/trace/trace.hpp>

#include <algorithm>
#include <array>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sockmodel_trace {

template <class A>
using traced_config = sockmodel::config<sockmodel::opt::abi<A>, sockmodel::opt::tracer<sockmodel::trace::recorder>,
                                        sockmodel::opt::faults<sockmodel::fault::inject>>;

struct model_run {
    traced_run run;                   // call is left for the caller to fill
    unsigned long rlimit_nofile = 0;  // RLIMIT_NOFILE the call ran under
};

template <class A>
model_run run_model(const options& o, const socket_args& call)
{
    namespace sm = sockmodel;
    using K = sm::kernel<traced_config<A>>;

    const auto k = std::make_unique<K>();
    k->init_net.sysctl.ping_group_range.low = o.ping_low;
    k->init_net.sysctl.ping_group_range.high = o.ping_high;
    // Setup as root, as the host child does it before it drops to the
    // credentials asked for; untraced in effect (the recorder is cleared
    // afterwards): fds 0, 1, 2 as a shell leaves them, then --fill-fds more,
    // under a limit that lets them all open; then the limit the run asked for.
    sm::task_struct& t = k->spawn(sm::cred::root());
    sm::resource_limit lim{};
    k->getrlimit(t, A::rlimit_nofile, &lim);
    const unsigned long final_cur = o.rlimit_nofile.value_or(lim.rlim_cur);
    const unsigned long setup_cur = std::max<unsigned long>(lim.rlim_cur, 3UL + o.fill_fds);
    const sm::resource_limit setup{setup_cur, std::max(lim.rlim_max, setup_cur)};
    if (int err = k->setrlimit(t, A::rlimit_nofile, &setup))
        bad("setup: model setrlimit(RLIMIT_NOFILE) returned " + strace_result(err));
    for (unsigned i = 0; i < 3 + o.fill_fds; ++i) {
        const int fd = k->socket(t, sm::af_unix, A::sock_stream, 0);
        if (fd != static_cast<int>(i))
            bad("setup: model socket(AF_UNIX, SOCK_STREAM, 0) for fd " + std::to_string(i) + " returned " +
                strace_result(fd));
    }
    const sm::resource_limit run{final_cur, std::max(setup.rlim_max, final_cur)};
    if (int err = k->setrlimit(t, A::rlimit_nofile, &run))
        bad("setup: model setrlimit(RLIMIT_NOFILE) returned " + strace_result(err));
    t.cred = o.credentials();
    // --as userns: unshare(CLONE_NEWUSER) after the drop, as the host child
    // does; the task keeps init_net, owned by the initial user namespace.
    if (o.new_user_ns())
        if (int err = k->unshare(t, sm::clone_flag::newuser))
            bad("setup: model unshare(CLONE_NEWUSER) returned " + strace_result(err));
    k->tracer.clear();
    if (o.inject)
        k->faults.fail_nth(*o.inject, o.inject_nth);

    model_run m;
    m.rlimit_nofile = final_cur;
    if (o.socketpair) {
        std::array<int, 2> sv{-1, -1};  // what the array held before the call, as the host child's
        m.run.fd = k->socketpair(t, call.family, call.type, call.protocol, sv.data());
        m.run.sv = sv;
        m.run.events = std::move(k->tracer.events);
        if (m.run.fd == 0 && o.do_close()) {
            for (int i = 0; i < 2; ++i) {
                k->tracer.clear();
                (i == 0 ? m.run.close_ret : m.run.close2_ret) = k->close(t, sv[static_cast<std::size_t>(i)]);
                m.run.events.insert(m.run.events.end(), std::make_move_iterator(k->tracer.events.begin()),
                                    std::make_move_iterator(k->tracer.events.end()));
            }
        }
        return m;
    }
    m.run.fd = k->socket(t, call.family, call.type, call.protocol);
    m.run.events = std::move(k->tracer.events);
    if (m.run.fd >= 0 && o.do_close()) {
        k->tracer.clear();
        m.run.close_ret = k->close(t, m.run.fd);
        m.run.events.insert(m.run.events.end(), std::make_move_iterator(k->tracer.events.begin()),
                            std::make_move_iterator(k->tracer.events.end()));
    }
    return m;
}

}  // namespace sockmodel_trace
