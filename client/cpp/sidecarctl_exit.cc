#include "client/cpp/sidecarctl_exit.h"

#include <cstdio>
#include <cstdlib>

namespace sidecard::ctl {

void ExitAfterOutput(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(code);
}

}  // namespace sidecard::ctl
