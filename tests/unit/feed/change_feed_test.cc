// The change feed on a real temporary tree: cursors it cannot resume give
// the reset that says why, lost events reset every subscriber, a tree on a
// filesystem inotify cannot vouch for is refused, Close ends subscriptions.
#include "server/engine/feed/change_feed.h"

#include <gtest/gtest.h>
#include <stdio.h>

#include <memory>
#include <string>

#include "server/engine/feed/change_cursor.h"
#include "support/temp_tree.h"

namespace sidecard::engine {
namespace {

constexpr char kDocument[] =
    R"({"sidecar_info":{"operation_type":"yolov8"},"yolov8":{"success":true}})";

class ChangeFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.WriteFile("a/IMG_1.jpg", "jpeg");
    tree_.WriteFile("b/IMG_1.jpg", "jpeg");
    roots_ = std::make_shared<const AllowedRoots>(*AllowedRoots::Create({tree_.root()}));
  }

  std::unique_ptr<ChangeFeed> MakeFeed(ChangeFeedOptions options = {}) {
    auto feed = ChangeFeed::Create(std::move(options));
    EXPECT_TRUE(feed.ok()) << feed.status();
    return feed.ok() ? *std::move(feed) : nullptr;
  }

  std::unique_ptr<Subscription> Subscribe(ChangeFeed& feed, const std::string& rel,
                                          const std::string& cursor = "") {
    auto subscription = feed.Subscribe(roots_, tree_.Path(rel), cursor);
    EXPECT_TRUE(subscription.ok()) << subscription.status();
    return subscription.ok() ? *std::move(subscription) : nullptr;
  }

  // The paths (relative to the tree) of the next changes delivered, joined
  // by commas, and the last one's cursor; or "reset <reason>"; "" when
  // nothing came within a second.
  std::string Next(Subscription& subscription, std::string* cursor = nullptr) {
    const Subscription::Delivery delivery = subscription.Next(absl::Seconds(1));
    if (delivery.reset) {
      if (cursor != nullptr) *cursor = delivery.reset->cursor;
      return "reset " + std::string(ResetReasonName(delivery.reset->reason));
    }
    if (delivery.changes.empty()) return delivery.ended ? "ended" : "";
    std::string paths;
    for (const auto& change : delivery.changes) {
      if (!paths.empty()) paths += ",";
      paths += change->path.substr(tree_.root().size() + 1);
      if (cursor != nullptr) *cursor = FormatCursor(instance_, change->sequence);
    }
    return paths;
  }

  sidecard::testing::TempTree tree_;
  std::shared_ptr<const AllowedRoots> roots_;
  std::string instance_;
};

TEST_F(ChangeFeedTest, CursorsParseAndRoundTrip) {
  auto cursor = ParseCursor(FormatCursor("00ff", 42));
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(cursor->instance, "00ff");
  EXPECT_EQ(cursor->sequence, 42u);
  for (const char* bad : {"", "c:", "c::1", "c:x:", "c:x:1a", "x:y:1", "c:x:-1"}) {
    EXPECT_FALSE(ParseCursor(bad).ok()) << bad;
  }
  EXPECT_NE(NewInstanceId(), NewInstanceId());
}

TEST_F(ChangeFeedTest, LostEventsResetEverySubscriberAndEveryOlderCursor) {
  auto feed = MakeFeed();
  instance_ = feed->instance();
  auto subscription = Subscribe(*feed, "");
  tree_.WriteFile("a/IMG_1.json", kDocument);
  std::string before_loss;
  EXPECT_EQ(Next(*subscription, &before_loss), "a/IMG_1.json");

  feed->LoseEventsForTesting();
  std::string fresh;
  EXPECT_EQ(Next(*subscription, &fresh), "reset events_lost");
  EXPECT_NE(fresh, before_loss);

  auto stale = Subscribe(*feed, "", before_loss);
  EXPECT_EQ(Next(*stale), "reset events_lost");
  auto resumed = Subscribe(*feed, "", fresh);
  tree_.WriteFile("b/IMG_1.json", kDocument);
  EXPECT_EQ(Next(*resumed), "b/IMG_1.json");
  EXPECT_EQ(Next(*subscription), "b/IMG_1.json");
}

TEST_F(ChangeFeedTest, ACursorOlderThanTheJournalOrTheWatchIsReset) {
  ChangeFeedOptions options;
  options.journal_events = 2;
  auto feed = MakeFeed(options);
  instance_ = feed->instance();
  const std::string at_start = FormatCursor(instance_, 0);
  auto a = Subscribe(*feed, "a", at_start);
  for (const char* name : {"a/IMG_1.json", "a/IMG_1.bin", "a/IMG_1.rkyv"}) {
    tree_.WriteFile(name, kDocument);
    EXPECT_EQ(Next(*a), name);
  }
  // Three changes since, two remembered.
  EXPECT_EQ(Next(*Subscribe(*feed, "a", at_start)), "reset cursor_expired");
  // b was first watched after the cursor.
  EXPECT_EQ(Next(*Subscribe(*feed, "b", FormatCursor(instance_, 2))), "reset not_watched_then");
  // Another daemon's cursor; one ahead of the feed.
  EXPECT_EQ(Next(*Subscribe(*feed, "a", "c:feedfacefeedface:1")), "reset daemon_restarted");
  EXPECT_EQ(feed->Subscribe(roots_, tree_.Path("a"), FormatCursor(instance_, 99)).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The last two resume.
  auto resumed = Subscribe(*feed, "a", FormatCursor(instance_, 1));
  EXPECT_EQ(Next(*resumed), "a/IMG_1.bin,a/IMG_1.rkyv");
}

TEST_F(ChangeFeedTest, ATreeInotifyCannotVouchForIsRefused) {
  ChangeFeedOptions options;
  options.policy = [](int64_t) { return false; };
  auto feed = MakeFeed(options);
  const auto refused = feed->Subscribe(roots_, tree_.root(), "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(feed->watches(), 0);
}

TEST_F(ChangeFeedTest, ARootMovedAwayEndsItsSubscriptions) {
  tree_.WriteFile("a/IMG_1.json", kDocument);
  auto feed = MakeFeed();
  auto whole = Subscribe(*feed, "");
  auto part = Subscribe(*feed, "a");
  ASSERT_EQ(::rename(tree_.Path("a").c_str(), tree_.Path("moved").c_str()), 0);
  // The whole tree saw a sidecar go (and the moved folder arrive).
  std::string seen = Next(*whole);
  if (seen == "a/IMG_1.json") seen += "," + Next(*whole);
  EXPECT_EQ(seen, "a/IMG_1.json,moved/IMG_1.json");
  const Subscription::Delivery delivery = part->Next(absl::Seconds(1));
  ASSERT_TRUE(delivery.ended);
  EXPECT_EQ(delivery.end_status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(delivery.changes.size(), 1u);  // the removal came first

  // A root watched alone (no watch of its parent) learns it from its own.
  auto other_feed = MakeFeed();
  auto alone = Subscribe(*other_feed, "b");
  ASSERT_EQ(::rename(tree_.Path("b").c_str(), tree_.Path("moved/b").c_str()), 0);
  const Subscription::Delivery moved = alone->Next(absl::Seconds(1));
  ASSERT_TRUE(moved.ended);
  EXPECT_EQ(moved.end_status.code(), absl::StatusCode::kNotFound);
}

TEST_F(ChangeFeedTest, CloseEndsSubscriptionsAndRefusesNewOnes) {
  auto feed = MakeFeed();
  auto subscription = Subscribe(*feed, "");
  EXPECT_EQ(feed->subscribers(), 1);
  feed->Close();
  const Subscription::Delivery delivery = subscription->Next(absl::Seconds(1));
  EXPECT_TRUE(delivery.ended);
  EXPECT_EQ(delivery.end_status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(feed->Subscribe(roots_, tree_.root(), "").status().code(),
            absl::StatusCode::kUnavailable);
  subscription.reset();
  EXPECT_EQ(feed->subscribers(), 0);
}

}  // namespace
}  // namespace sidecard::engine
