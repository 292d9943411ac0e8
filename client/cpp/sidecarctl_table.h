// Aligned text tables and key/value blocks for people.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_TABLE_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_TABLE_H_

#include <string>
#include <utility>
#include <vector>

namespace sidecard::ctl {

enum class Align { kLeft, kRight };

struct Column {
  std::string header;
  Align align = Align::kLeft;
  // Width to start from, in characters; the header's width at least.
  size_t min_width = 0;
};

// Formats the rows of a table one at a time, for rows that stream in. A
// stream cannot look ahead, so each column is as wide as the widest cell seen
// so far: widths only grow. The last column is never padded. Widths count
// UTF-8 characters.
class StreamingTable {
 public:
  explicit StreamingTable(std::vector<Column> columns);

  // The header line, with a trailing newline.
  std::string Header();
  // One row (one cell per column), with a trailing newline.
  std::string Row(const std::vector<std::string>& cells);

 private:
  std::vector<Column> columns_;
};

// Formats a whole table: header, then rows, each column as wide as its
// widest cell, two spaces between columns.
std::string FormatTable(std::vector<Column> columns,
                        const std::vector<std::vector<std::string>>& rows);

// Formats `key  value` lines with the values aligned after the longest key.
// A key may start with spaces to show it belongs to the line above.
std::string FormatKeyValues(const std::vector<std::pair<std::string, std::string>>& lines);

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_TABLE_H_
