// The command-line tools' stdout when it is a pipe (sidecarctl, the compat
// CLI).
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_OUTPUT_PIPE_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_OUTPUT_PIPE_H_

namespace sidecard::ctl {

// When stdout is a pipe, asks for a larger one (up to 1 MiB, as the system
// allows): a long listing or report then reaches the reading program in a
// few large writes rather than waiting on it every 64 KiB.
void WidenStdoutPipe();

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_OUTPUT_PIPE_H_
