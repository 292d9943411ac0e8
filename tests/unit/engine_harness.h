// Runs engine operations on a real temporary tree, the way the service does,
// and collects their results for assertions.
#ifndef SIDECARD_TESTS_UNIT_ENGINE_HARNESS_H_
#define SIDECARD_TESTS_UNIT_ENGINE_HARNESS_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/engine/base/worker_pool.h"
#include "server/engine/cache/tree_cache.h"
#include "server/engine/ops/cleanup.h"
#include "server/engine/ops/stats.h"
#include "server/engine/ops/validate.h"
#include "support/temp_tree.h"

namespace sidecard::engine {

// A small but complete sidecar document with faces and objects.
inline std::string MergedDocument(int faces = 1, int objects = 1, bool success = true) {
  std::string face_list;
  for (int i = 0; i < faces; ++i) {
    face_list +=
        (i ? "," : "") + std::string("{\"face_id\":") + std::to_string(i) + ",\"confidence\":0.9}";
  }
  std::string object_list;
  for (int i = 0; i < objects; ++i) {
    object_list += (i ? "," : "") + std::string("{\"class_name\":\"person\",\"confidence\":0.8}");
  }
  const std::string ok = success ? "true" : "false";
  return "{\"face_detection\":{\"insightface\":{\"success\":" + ok + ",\"faces\":[" + face_list +
         "],\"metadata\":{\"faces_found\":" + std::to_string(faces) +
         ",\"processing_time\":1.5,\"detector\":\"insightface\"}}},"
         "\"yolov8\":{\"yolov8\":{\"success\":true,\"objects\":[" +
         object_list + "],\"metadata\":{\"objects_found\":" + std::to_string(objects) +
         ",\"detection_time\":0.25,\"model_path\":\"yolov8n.pt\"}}},"
         "\"sidecar_info\":{\"operation_type\":\"face_detection\",\"last_operation\":\"yolov8\"}}";
}

class EngineHarness : public ::testing::Test {
 protected:
  EngineHarness() : pool_(2), roots_(*AllowedRoots::Create({tree_.root()})) {}

  EngineContext Context() { return EngineContext{&pool_, &cache_, &roots_}; }

  struct ValidateRun {
    std::vector<std::string> paths;  // relative to the tree, in report order
    std::vector<ValidatedFile> files;
    ValidateSummary summary;
  };

  ValidateRun Validate(const ValidateOptions& options = {}, std::string rel_root = "") {
    ValidateRun run;
    auto summary = ValidateTree(tree_.Path(rel_root), options, Context(), Cancellation(),
                                [&](std::span<const ValidatedFile> files) {
                                  for (const ValidatedFile& file : files) {
                                    run.paths.push_back(Relative(file.path));
                                    run.files.push_back(file);
                                  }
                                  return true;
                                });
    EXPECT_TRUE(summary.ok()) << summary.status();
    if (summary.ok()) run.summary = *summary;
    return run;
  }

  const ValidatedFile& Report(const ValidateRun& run, const std::string& rel) {
    for (size_t i = 0; i < run.paths.size(); ++i) {
      if (run.paths[i] == rel) return run.files[i];
    }
    ADD_FAILURE() << "no report for " << rel;
    static const ValidatedFile kNone{};
    return kNone;
  }

  TreeStats Stats(const StatsOptions& options = {}) {
    auto stats = ComputeStats(tree_.root(), options, Context(), Cancellation());
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : TreeStats{};
  }

  struct CleanupRun {
    std::vector<CleanupResult> results;
    CleanupSummary summary;
    const CleanupResult* For(const std::string& rel) const {
      for (const CleanupResult& result : results) {
        if (result.path == root + "/" + rel) return &result;
      }
      return nullptr;
    }
    std::string root;
  };

  CleanupRun Cleanup(const CleanupOptions& options) {
    CleanupRun run;
    run.root = tree_.root();
    auto summary =
        CleanupTree(tree_.root(), options, Context(), Cancellation(),
                    [&](std::span<const CleanupResult> results) {
                      run.results.insert(run.results.end(), results.begin(), results.end());
                      return true;
                    });
    EXPECT_TRUE(summary.ok()) << summary.status();
    if (summary.ok()) run.summary = *summary;
    return run;
  }

  std::string Relative(const std::string& absolute) const {
    return absolute.substr(tree_.root().size() + 1);
  }

  sidecard::testing::TempTree tree_;
  WorkerPool pool_;
  TreeCache cache_{TreeCacheOptions{}};  // remembers nothing
  AllowedRoots roots_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_TESTS_UNIT_ENGINE_HARNESS_H_
