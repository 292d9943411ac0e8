// The value types of the daemon's Abseil flags (server/daemon/daemon_flags.cc).
// Each carries a check of its values, so a flag's name, default, help and
// valid values are declared in one place. The check travels in the default
// value: Abseil parses into a copy of the default, so every flag checks with
// its own function. A check returns what is wrong, without the "--name: " the
// parser puts in front ("must be 0..1024"), or nothing when the value is good.
//
// A default must read back from its text (DefaultValue()): the parser resets
// the flags that way. So Text and List parse any text and CheckGiven checks
// what a user gives: an empty --token-file is refused, while the empty
// default means none.
#ifndef SIDECARD_SERVER_DAEMON_FLAG_TYPES_H_
#define SIDECARD_SERVER_DAEMON_FLAG_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/strings/string_view.h"

namespace sidecard::daemon {

// A number written as std::from_chars reads it ("12", "2.5"; no "0x", "+" or
// spaces), finite, then checked.
template <typename T>
struct Number {
  using Check = std::string (*)(T value);
  Number() = default;
  Number(T initial, Check checked_by = nullptr)
      : value(initial), check(checked_by) {}  // NOLINT: implicit
  T value{};
  Check check = nullptr;
};

// A string, checked by CheckGiven.
struct Text {
  using Check = std::string (*)(absl::string_view value);
  Text() = default;
  Text(std::string initial, Check checked_by = nullptr)  // NOLINT: implicit
      : value(std::move(initial)), check(checked_by) {}
  std::string value;
  Check check = nullptr;
};

// A repeatable flag: each occurrence adds one item, checked by CheckGiven.
// Its text form joins the items with ',' (a ',' or '\' in an item is escaped
// with '\'), so an item may hold a comma ("/srv/Trip, 2020"); as with
// Abseil's std::vector<std::string>, an empty text is no items.
struct List {
  using Check = Text::Check;
  List() = default;
  List(std::vector<std::string> initial, Check checked_by = nullptr)
      : items(std::move(initial)), check(checked_by) {}
  std::vector<std::string> items;
  Check check = nullptr;
};

// A switch: `--name` alone means true; true/yes/1 and false/no/0 also do.
struct Switch {
  Switch() = default;
  Switch(bool initial) : value(initial) {}  // NOLINT: implicit
  bool value = false;
};

// Abseil's hooks (found by argument-dependent lookup). On failure `error` is
// the check's message.
template <typename T>
bool AbslParseFlag(absl::string_view text, Number<T>* number, std::string* error);
template <typename T>
std::string AbslUnparseFlag(const Number<T>& number);
bool AbslParseFlag(absl::string_view text, Text* value, std::string* error);
std::string AbslUnparseFlag(const Text& value);
bool AbslParseFlag(absl::string_view text, List* list, std::string* error);
std::string AbslUnparseFlag(const List& list);
bool AbslParseFlag(absl::string_view text, Switch* value, std::string* error);
std::string AbslUnparseFlag(const Switch& value);

// What is wrong with `value`, given for `flag` on the command line or in a
// file (for a List: one more item); empty when it is good. A Number checks
// itself when parsed.
std::string CheckGiven(const absl::CommandLineFlag& flag, absl::string_view value);

// Reads `text` as a number the way Number<T> does: "'TEXT' is not a
// number" or "... is not a finite number" when it is not one.
template <typename T>
std::string ReadNumber(absl::string_view text, T& out);

extern template std::string ReadNumber(absl::string_view, int&);
extern template bool AbslParseFlag(absl::string_view, Number<int>*, std::string*);
extern template bool AbslParseFlag(absl::string_view, Number<int64_t>*, std::string*);
extern template bool AbslParseFlag(absl::string_view, Number<size_t>*, std::string*);
extern template bool AbslParseFlag(absl::string_view, Number<double>*, std::string*);
extern template std::string AbslUnparseFlag(const Number<int>&);
extern template std::string AbslUnparseFlag(const Number<int64_t>&);
extern template std::string AbslUnparseFlag(const Number<size_t>&);
extern template std::string AbslUnparseFlag(const Number<double>&);

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_FLAG_TYPES_H_
