// The block check of number runs (number_array_scan.h), with every
// instruction set this processor has: what it vouches for must be valid JSON
// numbers and separators, it must vouch for long runs of the numbers the
// pipeline writes, and the quick parse that uses it must still give every
// text ParseJson's verdict, whatever goes wrong at whatever offset of a
// 64-byte block.
#include "server/engine/formats/number_array_scan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "server/engine/formats/facts_scan.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/formats/shortest_double.h"

namespace sidecard::engine {
namespace {

std::vector<VectorIsa> AvailableIsas() {
  std::vector<VectorIsa> isas;
  const char probe[] = "1";
  for (VectorIsa isa : {VectorIsa::kSse2, VectorIsa::kAvx2, VectorIsa::kAvx512}) {
    if (SkipCheckedNumberElementsWith(isa, probe, probe + 1) != nullptr) isas.push_back(isa);
  }
  return isas;
}

bool ValidJson(const std::string& text) { return ParseJson(text).ok(); }

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ = state_ * 6364136223846793005u + 1442695040888963407u;
    return state_ >> 33;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

// A number in one of the spellings writers use.
std::string SomeNumber(Random& random) {
  static const char* const kFixed[] = {"0",    "-0",      "7",       "-12",     "0.5",
                                       "1e2",  "1E+2",    "-1.5e-3", "2.5E-07", "123456789012345",
                                       "1e05", "-0.0e-0", "0.000",   "100"};
  if (random.Below(3) == 0) return kFixed[random.Below(std::size(kFixed))];
  std::string out;
  const double value = (static_cast<double>(random.Next()) / 2147483648.0 - 0.5) /
                       static_cast<double>(1 + random.Below(100000));
  AppendShortestDouble(value, out);
  return out;
}

// The body of a number array (no brackets), compact or indented.
std::string NumberRun(Random& random, size_t count, bool indented) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ',';
    if (indented) out += "\n            ";
    out += SomeNumber(random);
  }
  return out;
}

// What the check vouched for, [p, q), is a run of `number ws* , ws*` with q
// at the next element: then "[" + that + "0]" is valid JSON.
void ExpectVouchedPrefixValid(const std::string& run, size_t vouched) {
  if (vouched == 0) return;
  const std::string closed = "[" + run.substr(0, vouched) + "0]";
  EXPECT_TRUE(ValidJson(closed)) << "vouched for: " << run.substr(0, vouched);
  const char next = run[vouched];
  EXPECT_TRUE(next == '-' || (next >= '0' && next <= '9')) << "stopped at: " << run.substr(vouched);
}

TEST(NumberArrayScanTest, VouchesForLongRunsOfPipelineNumbers) {
  const std::vector<VectorIsa> isas = AvailableIsas();
  ASSERT_FALSE(isas.empty());
  Random random(5);
  for (int round = 0; round < 200; ++round) {
    const std::string run = NumberRun(random, 100 + random.Below(500), round % 2 == 1) + "\n]";
    for (VectorIsa isa : isas) {
      const char* q = SkipCheckedNumberElementsWith(isa, run.data(), run.data() + run.size());
      const size_t vouched = static_cast<size_t>(q - run.data());
      ExpectVouchedPrefixValid(run, vouched);
      // All but the last elements: the block holding the bracket is left
      // to the caller.
      EXPECT_GE(vouched + 64 + 40, run.size())
          << "isa " << static_cast<int>(isa) << " stopped at: " << run.substr(vouched, 80);
    }
  }
}

TEST(NumberArrayScanTest, EveryIsaVouchesForTheSamePrefix) {
  const std::vector<VectorIsa> isas = AvailableIsas();
  Random random(11);
  static const char* const kInserts[] = {"1.2.3",
                                         "01",
                                         "1e",
                                         "-",
                                         "1..2",
                                         ",,",
                                         "1 2",
                                         "1e5.3",
                                         "1e5e3",
                                         "+1",
                                         "1-2",
                                         "1e+-2",
                                         ".5",
                                         "5.",
                                         "0x1",
                                         "1e123",
                                         "1234567890123456",
                                         "1,]",
                                         "\t\r ",
                                         "-01",
                                         "1E",
                                         "--1",
                                         "e5"};
  for (int round = 0; round < 3000; ++round) {
    std::string run = NumberRun(random, 40, round % 2 == 1) + "]";
    const size_t at = random.Below(run.size());
    run.insert(at, kInserts[random.Below(std::size(kInserts))]);
    std::vector<size_t> vouched;
    for (VectorIsa isa : isas) {
      const char* q = SkipCheckedNumberElementsWith(isa, run.data(), run.data() + run.size());
      vouched.push_back(static_cast<size_t>(q - run.data()));
      ExpectVouchedPrefixValid(run, vouched.back());
    }
    for (size_t v : vouched) EXPECT_EQ(v, vouched.front()) << run;
  }
}

// Each mistake at each offset of two blocks: the quick parse (which calls
// the check) and ParseJson agree on every verdict, and the check never
// vouches past the mistake.
TEST(NumberArrayScanTest, MistakesAtEveryBlockOffsetGetParseJsonsVerdict) {
  // Numbers too long for a double, or long enough that the quick parse may
  // leave them to ParseJson: it must never accept what ParseJson refuses.
  const std::string kLong[] = {std::string(400, '9'), "1" + std::string(320, '0') + ".5",
                               std::string(100, '7'), "-" + std::string(126, '3') + "e99",
                               "1" + std::string(62, '0') + "e99"};
  const std::string kMistakes[] = {"1.2.3", "01",    "1e",    "-",    "1..2",  "1,,2",
                                   "1 2",   "1e5.3", "1e5e3", "+1",   "1-2",   "1e+-2",
                                   "1.",    ".5",    "1e1e1", "-.5",  "00",    "1,",
                                   "1.5-3", "1e-0",  "0e0",   "1e99", "1e999", "9999999999999999",
                                   "-0.",   "1.0e",  "1E+",   "nul",  "\"x\"", "[]"};
  const std::string filler = "0.25, -1.5e-3,1,";
  std::vector<std::string> mistakes(std::begin(kMistakes), std::end(kMistakes));
  mistakes.insert(mistakes.end(), std::begin(kLong), std::end(kLong));
  for (const std::string& mistake : mistakes) {
    const bool long_number = mistake.size() > 60;
    for (size_t offset = 0; offset < 140; ++offset) {
      std::string body;
      while (body.size() < offset) body += filler;
      body.resize(offset);
      // Keep the text before the mistake well formed: end it after a comma.
      const size_t comma = body.rfind(',');
      body.resize(comma == std::string::npos ? 0 : comma + 1);
      body += mistake;
      body += ",";
      for (int i = 0; i < 12; ++i) body += filler;
      body += "7";
      const std::string text = "{\"faces\":[{\"encoding\":[" + body + "]}]}";
      const bool valid = ValidJson(text);
      rapidjson::Document scanned;
      const bool accepted = ScanForFacts(text, scanned);
      EXPECT_FALSE(accepted && !valid) << "accepted invalid: " << text;
      if (!long_number) {
        EXPECT_EQ(accepted, valid) << "verdict differs: " << text;
      }
      EXPECT_EQ(ParseJson(text, 0, NumberPrecision::kFactsOnly).ok(), valid) << text;
      for (VectorIsa isa : AvailableIsas()) {
        const char* q = SkipCheckedNumberElementsWith(isa, body.data(), body.data() + body.size());
        ExpectVouchedPrefixValid(body, static_cast<size_t>(q - body.data()));
      }
    }
  }
}

// Texts that end inside a number array, each in a heap buffer of exactly its
// size: the quick parse must not look at the byte past the end (AddressSanitizer
// in CI sees it if it does) and must refuse them, as ParseJson does.
TEST(NumberArrayScanTest, TextsEndingInsideAnArrayAreNotReadPastTheirEnd) {
  std::string long_run;
  for (int i = 0; i < 40; ++i) long_run += "0.25,";
  for (const std::string& text :
       {std::string("{\"faces\":[{\"encoding\":["), std::string("{\"faces\":[{\"encoding\":[1,"),
        std::string("{\"faces\":[{\"encoding\":[ "), "{\"faces\":[{\"encoding\":[" + long_run}) {
    const std::vector<char> exact(text.begin(), text.end());
    const std::string_view view(exact.data(), exact.size());
    rapidjson::Document scanned;
    EXPECT_FALSE(ScanForFacts(view, scanned)) << text;
    EXPECT_FALSE(ValidJson(text)) << text;
  }
}

}  // namespace
}  // namespace sidecard::engine
