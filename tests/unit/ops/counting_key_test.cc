// The key a per-directory tally is remembered under is spelled from every
// field of the counting options, so options that count differently never
// share a key.
#include "server/engine/ops/counting_key.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "server/engine/ops/stats.h"
#include "server/engine/ops/validate.h"

namespace sidecard::engine {
namespace {

struct OneField {
  std::string filter;
};
// OneField with a field added, as a later option would be.
struct TwoFields {
  std::string filter;
  bool include_orphans = false;
};
struct EveryKind {
  std::string text;
  bool flag = false;
  int64_t number = 0;
  std::vector<std::string> list;
};

TEST(CountingKeyTest, DiffersByOperationAndByEveryField) {
  EXPECT_NE(CountingKey("validate", OneField{"x"}), CountingKey("stats", OneField{"x"}));
  EXPECT_NE(CountingKey("validate", OneField{"x"}), CountingKey("validate", OneField{"y"}));
  EXPECT_EQ(CountingKey("validate", OneField{"x"}), CountingKey("validate", OneField{"x"}));

  const EveryKind base{"a", false, 1, {"p", "q"}};
  const std::string key = CountingKey("op", base);
  EveryKind changed = base;
  changed.text = "b";
  EXPECT_NE(CountingKey("op", changed), key);
  changed = base;
  changed.flag = true;
  EXPECT_NE(CountingKey("op", changed), key);
  changed = base;
  changed.number = 2;
  EXPECT_NE(CountingKey("op", changed), key);
  changed = base;
  changed.list.push_back("r");
  EXPECT_NE(CountingKey("op", changed), key);
}

TEST(CountingKeyTest, AnAddedFieldIsPartOfTheKeyWithoutFurtherEdits) {
  // The same filter with a new option at each of its values: every key
  // differs from the others and from the struct without the field.
  const std::string before = CountingKey("stats", OneField{"yolov8"});
  const std::string off = CountingKey("stats", TwoFields{"yolov8", false});
  const std::string on = CountingKey("stats", TwoFields{"yolov8", true});
  EXPECT_NE(off, on);
  EXPECT_NE(before, on);
}

TEST(CountingKeyTest, FieldBoundariesCannotBeConfused) {
  struct Pair {
    std::string a;
    std::string b;
  };
  EXPECT_NE(CountingKey("op", Pair{"ab", ""}), CountingKey("op", Pair{"a", "b"}));
  EXPECT_NE(CountingKey("op", Pair{"1:a", ""}), CountingKey("op", Pair{"", "a"}));
  struct Lists {
    std::vector<std::string> a;
    std::vector<std::string> b;
  };
  EXPECT_NE(CountingKey("op", Lists{{"x"}, {}}), CountingKey("op", Lists{{}, {"x"}}));
}

TEST(CountingKeyTest, ValidateAndStatsKeysFollowTheirFilters) {
  EXPECT_NE(CountingKey("validate", ValidateCounting{""}),
            CountingKey("validate", ValidateCounting{"face_detection"}));
  EXPECT_NE(CountingKey("stats", StatsCounting{""}),
            CountingKey("stats", StatsCounting{"face_detection"}));
}

}  // namespace
}  // namespace sidecard::engine
