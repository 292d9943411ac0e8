#include "server/engine/base/bounded_lru.h"

#include <gtest/gtest.h>

#include <string>

namespace sidecard::engine {
namespace {

TEST(BoundedLruTest, DropsTheLeastRecentlyUsedToStayWithinItsBound) {
  BoundedLru<int> lru(30);
  lru.Store("a", 1, 10);
  lru.Store("b", 2, 10);
  lru.Store("c", 3, 10);
  ASSERT_NE(lru.Find("a"), nullptr);  // `a` is now the most recently used
  lru.Store("d", 4, 10);              // over the bound: `b` goes
  EXPECT_EQ(lru.Find("b"), nullptr);
  EXPECT_EQ(*lru.Find("a"), 1);
  EXPECT_EQ(*lru.Find("c"), 3);
  EXPECT_EQ(*lru.Find("d"), 4);
  EXPECT_EQ(lru.size(), 3u);
  EXPECT_EQ(lru.bytes(), 30u);
}

TEST(BoundedLruTest, StoringAgainReplacesAndRecountsBytes) {
  BoundedLru<std::string> lru(100);
  lru.Store("a", "one", 10);
  lru.Store("a", "two", 25);
  EXPECT_EQ(*lru.Find("a"), "two");
  EXPECT_EQ(lru.size(), 1u);
  EXPECT_EQ(lru.bytes(), 25u);
  lru.Erase("a");
  EXPECT_EQ(lru.Find("a"), nullptr);
  EXPECT_EQ(lru.bytes(), 0u);
}

TEST(BoundedLruTest, AValueLargerThanTheBoundIsNotKeptAndTheOldOneIsGone) {
  BoundedLru<int> lru(50);
  lru.Store("a", 1, 10);
  lru.Store("b", 2, 10);
  lru.Store("a", 3, 51);
  EXPECT_EQ(lru.Find("a"), nullptr);
  EXPECT_EQ(*lru.Find("b"), 2);  // the others stay
  EXPECT_EQ(lru.bytes(), 10u);
}

}  // namespace
}  // namespace sidecard::engine
