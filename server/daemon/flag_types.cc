#include "server/daemon/flag_types.h"

#include <charconv>
#include <cmath>
#include <type_traits>

#include "absl/flags/marshalling.h"
#include "absl/types/optional.h"

namespace sidecard::daemon {

template <typename T>
std::string ReadNumber(absl::string_view text, T& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (error != std::errc() || end != text.data() + text.size()) {
    return "'" + std::string(text) + "' is not a number";
  }
  // from_chars accepts "nan" and "inf", which slip past every range check.
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(out)) return "'" + std::string(text) + "' is not a finite number";
  }
  return {};
}

template <typename T>
bool AbslParseFlag(absl::string_view text, Number<T>* number, std::string* error) {
  *error = ReadNumber(text, number->value);
  if (error->empty() && number->check != nullptr) *error = number->check(number->value);
  return error->empty();
}

template <typename T>
std::string AbslUnparseFlag(const Number<T>& number) {
  return absl::UnparseFlag(number.value);
}

template std::string ReadNumber(absl::string_view, int&);
template bool AbslParseFlag(absl::string_view, Number<int>*, std::string*);
template bool AbslParseFlag(absl::string_view, Number<int64_t>*, std::string*);
template bool AbslParseFlag(absl::string_view, Number<size_t>*, std::string*);
template bool AbslParseFlag(absl::string_view, Number<double>*, std::string*);
template std::string AbslUnparseFlag(const Number<int>&);
template std::string AbslUnparseFlag(const Number<int64_t>&);
template std::string AbslUnparseFlag(const Number<size_t>&);
template std::string AbslUnparseFlag(const Number<double>&);

bool AbslParseFlag(absl::string_view text, Text* value, std::string* /*error*/) {
  value->value = std::string(text);
  return true;
}

std::string CheckGiven(const absl::CommandLineFlag& flag, absl::string_view value) {
  Text::Check check = nullptr;
  if (const absl::optional<Text> text = flag.TryGet<Text>()) check = text->check;
  if (const absl::optional<List> list = flag.TryGet<List>()) check = list->check;
  return check != nullptr ? check(value) : "";
}

std::string AbslUnparseFlag(const Text& value) { return value.value; }

bool AbslParseFlag(absl::string_view text, List* list, std::string* /*error*/) {
  list->items.clear();
  if (text.empty()) return true;
  std::string item;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      list->items.push_back(std::move(item));
      item.clear();
    } else {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      item += text[i];
    }
  }
  return true;
}

std::string AbslUnparseFlag(const List& list) {
  std::string text;
  for (size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) text += ',';
    const std::string& item = list.items[i];
    for (const char c : item) {
      if (c == ',' || c == '\\') text += '\\';
      text += c;
    }
  }
  return text;
}

bool AbslParseFlag(absl::string_view text, Switch* value, std::string* error) {
  if (text == "true" || text == "yes" || text == "1") {
    value->value = true;
  } else if (text == "false" || text == "no" || text == "0") {
    value->value = false;
  } else {
    *error = "'" + std::string(text) + "' is not true or false";
    return false;
  }
  return true;
}

std::string AbslUnparseFlag(const Switch& value) { return value.value ? "true" : "false"; }

}  // namespace sidecard::daemon
