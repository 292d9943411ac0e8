#include "client/cpp/sidecarctl_output_pipe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sidecard::ctl {

void WidenStdoutPipe() {
  struct stat st {};
  if (fstat(STDOUT_FILENO, &st) != 0 || !S_ISFIFO(st.st_mode)) return;
  // Refused (over /proc/sys/fs/pipe-max-size for this user): the pipe stays.
  (void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
}

}  // namespace sidecard::ctl
