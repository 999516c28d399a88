// sockmodel-trace: run socket() (and optionally close()) through a traced
// model kernel and print the call tree, JSON Lines or a Graphviz graph; with
// --compare-host, also make the same call on the running kernel and compare.
//
//     sockmodel-trace                                   # socket(AF_INET, SOCK_STREAM, 0) + close
//     sockmodel-trace AF_INET SOCK_STREAM IPPROTO_UDP   # EPROTONOSUPPORT
//     sockmodel-trace --as user --compare-host AF_INET SOCK_RAW IPPROTO_ICMP
//     sockmodel-trace -- ip addr                        # every socket() of a real program
//
// The parts: args (command line), abi (the ABIs, from sockmodel::arch::all_abis),
// model_run (the only user of the kernel object), output (what is printed),
// host_compare (--compare-host, on support/host/child.hpp), ptrace_run
// (-- PROGRAM: a real program under ptrace).
#include "abi.hpp"
#include "args.hpp"
#include "host_compare.hpp"
#include "model_run.hpp"
#include "output.hpp"
#include "ptrace_run.hpp"

#include <sockmodel/trace/decode.hpp>

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <string>

namespace {

namespace st = sockmodel_trace;

constexpr const char* prog = "sockmodel-trace";

template <class A>
int run(const st::options& o)
{
    const st::socket_args call = st::parse_socket_args<A>(o);
    st::model_run m = st::run_model<A>(o, call);
    const std::string args = sockmodel::trace::decode_socket_args<A, st::families::list>(call.family, call.type, call.protocol);
    // socketpair's fds when it succeeded; else "sv", as strace shows a failed
    // call's array by its address only (the kernel may have written fd
    // numbers there before failing, but they are no fds of the caller).
    if (m.run.sv && m.run.fd == 0)
        m.run.call = "socketpair(" + args + ", [" + std::to_string((*m.run.sv)[0]) + ", " +
                     std::to_string((*m.run.sv)[1]) + "])";
    else if (m.run.sv)
        m.run.call = "socketpair(" + args + ", sv)";
    else
        m.run.call = "socket(" + args + ")";
    std::fputs(st::render(m.run, o.format).c_str(), stdout);

    if (!o.compare_host)
        return 0;

    std::fflush(stdout);
    const st::host_comparison c = st::compare_with_host(
        {call, o.credentials(), o.fill_fds, m.rlimit_nofile, o.ping_low, o.ping_high, o.do_close(),
         o.new_user_ns(), o.socketpair},
        m.run.fd, m.run.sv);
    st::print_comparison(c, o.format);
    return c.agree ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    try {
        const st::options o = st::parse_options(argc, argv);
        if (o.program_mode)
            return st::run_program(o);
        if (o.compare_host) {
            if (!st::is_host_abi(o.abi))
                st::bad("--compare-host needs the host ABI (" + std::string(sockmodel::arch::host::name) +
                        "); the running kernel cannot take --abi " + o.abi + " arguments");
            if (geteuid() != 0)
                st::bad("--compare-host needs root (to enter a new network namespace and switch credentials)");
        }
        return st::with_abi(o.abi, [&]<class A>() { return run<A>(o); });
    } catch (const st::usage_error& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s: %s\n", prog, e.what());
        return 2;
    } catch (const st::host_refusal& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s: host refused: %s\n", prog, e.what());
        return 4;
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s: internal error: %s\n", prog, e.what());
        return 3;
    }
}
