// The clock token of the change feed (change_feed.h), as in Watchman:
// `c:<daemon instance id>:<sequence>`. The instance id is drawn at random
// when the daemon starts, so a cursor from an earlier daemon is recognised
// as such; the sequence numbers the feed's events, 0 being "before the
// first".
#ifndef SIDECARD_SERVER_ENGINE_FEED_CHANGE_CURSOR_H_
#define SIDECARD_SERVER_ENGINE_FEED_CHANGE_CURSOR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sidecard::engine {

struct ChangeCursor {
  std::string instance;
  uint64_t sequence = 0;
};

std::string FormatCursor(std::string_view instance, uint64_t sequence);

// InvalidArgument (naming the text) unless `text` is `c:<id>:<digits>`.
absl::StatusOr<ChangeCursor> ParseCursor(std::string_view text);

// A fresh instance id: 16 lower-case hex digits from the system's random source.
std::string NewInstanceId();

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FEED_CHANGE_CURSOR_H_
