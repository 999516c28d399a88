// --compare-host: the same socket() call on the running kernel, made by a
// forked child shaped like the model task (support/host/child.hpp, which the
// differential unit tests use too).
#pragma once

#include "args.hpp"
#include "output.hpp"

#include <sockmodel/kernel/cred.hpp>

#include <array>
#include <optional>
#include <stdexcept>

namespace sockmodel_trace {

struct host_request {
    socket_args call;
    sockmodel::cred cred;
    unsigned fill_fds = 0;
    unsigned long rlimit_nofile = 0;  // the limit the model task ran under
    sockmodel::kgid_t ping_low = 1, ping_high = 0;
    bool do_close = false;
    bool new_user_ns = false;  // --as userns: unshare(CLONE_NEWUSER) after the drop
    bool socketpair = false;   // --socketpair: socketpair() instead of socket()
};

// The host would not let the child mirror the model task (a setup step was
// refused: setrlimit above the host's hard RLIMIT_NOFILE, a namespace it may
// not enter, ...): exit status 4, not bad input and not a disagreement.
struct host_refusal : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Makes the call on the host and compares it with the model's result.
// Throws host_refusal if the child cannot mirror the model task.
// For --socketpair, model_ret is 0 or -errno and model_sv the model's array.
host_comparison compare_with_host(const host_request& q, int model_ret,
                                  const std::optional<std::array<int, 2>>& model_sv = std::nullopt);

}  // namespace sockmodel_trace
