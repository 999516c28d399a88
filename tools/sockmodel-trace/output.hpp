// What sockmodel-trace prints: the traced calls as a tree, JSON Lines or a
// Graphviz digraph, each followed by strace-style result lines (JSON "result"
// events), and the --compare-host line (a JSON "compare" event).
#pragma once

#include "args.hpp"

#include <sockmodel/trace/trace.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockmodel_trace {

// "3" or "-1 EPROTONOSUPPORT", as strace ends a line.
std::string strace_result(int ret);

// A socket() call, and the close() of its fd when that was traced too.
struct traced_run {
    std::string call;                       // "socket(AF_INET, SOCK_STREAM, IPPROTO_IP)"
    int fd = 0;                             // socket()'s result
    std::optional<int> close_ret;           // close(fd)'s result, if traced
    // --socketpair: fd is the call's 0 or -errno, sv what it left in the array
    // (the kernel writes it before creating the sockets), close2_ret close(sv[1]).
    std::optional<std::array<int, 2>> sv;
    std::optional<int> close2_ret;
    std::vector<sockmodel::trace::event> events;  // socket()'s, then close()'s
};

// The whole output of a run in the given format.
std::string render(const traced_run& run, output_format format);

// Socket()'s outcome on the running kernel beside the model's.
struct host_comparison {
    int host = 0;   // fd or -errno
    int model = 0;  // fd or -errno
    bool agree = false;
    bool fd_compared = false;  // the host process had exactly fds 0, 1, 2 open
    std::optional<std::array<int, 2>> host_sv, model_sv;  // --socketpair: the arrays after the call
};

// "host: fd 3; model: fd 3; agree", on stdout (stderr for dot, whose stdout
// stays pure DOT), as a JSON "compare" event for json.
void print_comparison(const host_comparison& c, output_format format);

}  // namespace sockmodel_trace
