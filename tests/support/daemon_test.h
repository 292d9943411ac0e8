// DaemonTest: the gtest fixture most integration tests use. A TempTree
// `tree_` that is the daemon's only allowed root, a running library daemon
// (DaemonProcess::Start) and a Client, plus helpers that collect whole
// Validate/Cleanup streams and describe trees for assertions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/cpp/client.h"
#include "gtest/gtest.h"
#include "support/child_process.h"
#include "support/daemon_process.h"
#include "support/proto_containers.h"
#include "support/sidecar_documents.h"
#include "support/temp_tree.h"

namespace sidecard::testing {

struct ValidateRun {
  grpc::Status status;
  std::vector<v1::FileReport> reports;  // all batches, in stream order
  v1::ValidateSummary summary;          // from the final message
  int summaries = 0;                    // messages that carried a summary
  bool summary_last = false;            // the summary came in the last message
  std::vector<int> batch_sizes;         // reports per message
};

struct CleanupRun {
  grpc::Status status;
  std::vector<v1::CleanupResult> results;
  v1::CleanupSummary summary;
  int summaries = 0;
  bool summary_last = false;
};

// What a tree holds: relative path -> kind, mode and content (or link target).
using TreeListing = std::map<std::string, std::string>;
TreeListing ListTree(const std::string& root);

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The daemon's options; tests may override.
  virtual DaemonProcess::Options MakeDaemonOptions();

  std::string P(std::string_view rel) const { return tree_.Path(rel); }

  // Hands the tree to the daemon's user; every helper below does it first.
  void Share() { ShareWithDaemon(tree_.root()); }

  ValidateRun Validate(v1::ValidateRequest request);
  ValidateRun Validate(const std::string& root, const std::string& operation_filter = "");
  grpc::Status Stats(const std::string& root, v1::StatsResponse& stats,
                     const std::string& operation_filter = "", bool non_recursive = false);
  CleanupRun Cleanup(v1::CleanupRequest request);
  CleanupRun Cleanup(const std::string& root, v1::CleanupMode mode, int64_t min_age_seconds = 0);

  // Runs sidecarctl against the daemon: `sidecarctl --address ADDR args...`.
  RunResult Ctl(const std::vector<std::string>& args, const std::string& cwd = "");

  TempTree tree_;
  DaemonProcess daemon_;
  std::unique_ptr<Client> client_;
};

// The reported paths (FilePath.path) of a Validate run, in stream order.
std::vector<std::string> ReportPaths(const ValidateRun& run);

// path -> action name of a Cleanup run.
std::map<std::string, std::string> CleanupActions(const CleanupRun& run);

}  // namespace sidecard::testing
