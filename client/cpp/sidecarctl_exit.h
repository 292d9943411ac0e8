// How the command-line tools (sidecarctl, the compat CLI) end: at once,
// once their output is out.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_EXIT_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_EXIT_H_

namespace sidecard::ctl {

// Flushes stdout and stderr, then ends the process with `code` without
// running destructors. A tool's call is over when its command returns, and
// an orderly gRPC shutdown then only waits for its background threads (up
// to several milliseconds, in one run of four): time a caller would wait
// for nothing. The kernel closes the connection.
[[noreturn]] void ExitAfterOutput(int code);

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_EXIT_H_
