// `sockmodel-trace [options] -- PROGRAM [ARGS...]`: runs a real program under
// ptrace (a seccomp filter stops it only at the calls the tool must see),
// and at every socket() and socketpair() entry makes the same call in the
// model kernel kept for the calling task's descriptor table, shaped like the
// task (credentials, capabilities, RLIMIT_NOFILE, open fds, user and network
// namespace relative to the tool's own, the sysctls the socket path reads),
// lets the real call run and compares the two at syscall exit: the errno or
// the fd number(s), and for new fds F_GETFD, F_GETFL, SO_TYPE, SO_PROTOCOL
// and SO_DOMAIN. Signals to the tool are passed to the program.
#pragma once

#include "args.hpp"

namespace sockmodel_trace {

// Traces o.program to its end and returns the exit status sockmodel-trace
// should exit with: the program's own (128+signal if it was killed), or 1
// under --strict when a call disagreed; 126/127 if it could not be executed.
// Throws usage_error (exit 2) when ptrace is not permitted.
int run_program(const options& o);

}  // namespace sockmodel_trace
