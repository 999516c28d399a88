// `sockmodel-trace [options] -- PROGRAM [ARGS...]`: runs a real program under
// ptrace, stops it at every socket() and socketpair() entry, makes the same
// call in a fresh model kernel shaped like the calling task (credentials,
// capabilities, RLIMIT_NOFILE, open fds, user and network namespace, the
// sysctls the socket path reads), lets the real call run and compares the
// two at syscall exit: the errno or the fd number(s), and for new fds
// F_GETFD, F_GETFL, SO_TYPE, SO_PROTOCOL and SO_DOMAIN.
#pragma once

#include "args.hpp"

namespace sockmodel_trace {

// Traces o.program to its end and returns the exit status sockmodel-trace
// should exit with: the program's own (128+signal if it was killed), or 1
// under --strict when a call disagreed; 126/127 if it could not be executed.
// Throws usage_error (exit 2) when ptrace is not permitted.
int run_program(const options& o);

}  // namespace sockmodel_trace
