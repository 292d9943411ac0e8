// Protobuf containers as standard ones, so assertions can compare them with
// literals (ElementsAre, ==) and print them.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <map>
#include <string>
#include <vector>

namespace sidecard::testing {

inline std::vector<std::string> StrVec(const google::protobuf::RepeatedPtrField<std::string>& f) {
  return {f.begin(), f.end()};
}

template <typename Map>
std::map<std::string, typename Map::mapped_type> ToStdMap(const Map& map) {
  return {map.begin(), map.end()};
}

}  // namespace sidecard::testing
