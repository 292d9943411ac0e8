// File names are bytes; people and protobuf strings need UTF-8.
#ifndef SIDECARD_SERVER_ENGINE_FS_PATH_TEXT_H_
#define SIDECARD_SERVER_ENGINE_FS_PATH_TEXT_H_

#include <string>
#include <string_view>

namespace sidecard::engine {

// `raw` with every byte that is not part of valid UTF-8 written as `\xNN`
// (uppercase hex), so any name can be shown and sent as a protobuf string.
std::string DisplayPath(std::string_view raw);

// True when `text` is valid UTF-8.
bool IsValidUtf8(std::string_view text);

// The directory part of the absolute path `path` ("/" for a top-level entry)
// and its last component.
std::string_view Dirname(std::string_view path);
std::string_view Basename(std::string_view path);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FS_PATH_TEXT_H_
