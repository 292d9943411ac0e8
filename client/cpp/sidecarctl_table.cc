#include "client/cpp/sidecarctl_table.h"

#include <algorithm>

namespace sidecard::ctl {
namespace {

constexpr char kGap[] = "  ";

// Characters in UTF-8 `text`: bytes that do not continue a sequence.
size_t TextWidth(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

void AppendPadded(const std::string& text, size_t width, Align align, std::string& out) {
  const size_t padding = width - std::min(width, TextWidth(text));
  if (align == Align::kRight) out.append(padding, ' ');
  out += text;
  if (align == Align::kLeft) out.append(padding, ' ');
}

}  // namespace

StreamingTable::StreamingTable(std::vector<Column> columns) : columns_(std::move(columns)) {
  for (Column& column : columns_) {
    column.min_width = std::max(column.min_width, TextWidth(column.header));
  }
}

std::string StreamingTable::Header() {
  std::vector<std::string> headers;
  for (const Column& column : columns_) headers.push_back(column.header);
  return Row(headers);
}

std::string StreamingTable::Row(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < columns_.size() && i < cells.size(); ++i) {
    Column& column = columns_[i];
    const bool last = i + 1 == columns_.size();
    if (i > 0) line += kGap;
    if (last && column.align == Align::kLeft) {
      line += cells[i];
      break;
    }
    column.min_width = std::max(column.min_width, TextWidth(cells[i]));
    AppendPadded(cells[i], column.min_width, column.align, line);
  }
  line.erase(line.find_last_not_of(' ') + 1);
  line += '\n';
  return line;
}

std::string FormatTable(std::vector<Column> columns,
                        const std::vector<std::vector<std::string>>& rows) {
  for (const std::vector<std::string>& row : rows) {
    for (size_t i = 0; i < columns.size() && i < row.size(); ++i) {
      columns[i].min_width = std::max(columns[i].min_width, TextWidth(row[i]));
    }
  }
  StreamingTable table(std::move(columns));
  std::string out = table.Header();
  for (const std::vector<std::string>& row : rows) out += table.Row(row);
  return out;
}

std::string FormatKeyValues(const std::vector<std::pair<std::string, std::string>>& lines) {
  size_t width = 0;
  for (const auto& [key, value] : lines) width = std::max(width, TextWidth(key));
  std::string out;
  for (const auto& [key, value] : lines) {
    if (value.empty()) {
      out += key;
    } else {
      AppendPadded(key, width, Align::kLeft, out);
      out += kGap;
      out += value;
    }
    out += '\n';
  }
  return out;
}

}  // namespace sidecard::ctl
