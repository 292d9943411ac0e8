#include "support/daemon_test.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

namespace sidecard::testing {

TreeListing ListTree(const std::string& root) {
  namespace fs = std::filesystem;
  TreeListing listing;
  std::error_code error;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::none, error), end;
       !error && it != end; it.increment(error)) {
    const std::string path = it->path().string();
    const std::string rel = path.substr(root.size() + 1);
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
      listing[rel] = "lstat failed";
      continue;
    }
    std::ostringstream entry;
    entry << "mode " << std::oct << (st.st_mode & 07777) << std::dec << " ";
    if (S_ISDIR(st.st_mode)) {
      entry << "dir";
    } else if (S_ISLNK(st.st_mode)) {
      entry << "link -> " << fs::read_symlink(it->path(), error).string();
    } else {
      entry << "file mtime " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec << " bytes "
            << ReadWholeFile(path);
    }
    listing[rel] = entry.str();
  }
  if (error) listing["<error>"] = error.message();
  return listing;
}

void DaemonTest::SetUp() {
  ASSERT_TRUE(daemon_.Start(MakeDaemonOptions()));
  client_ = std::make_unique<Client>(ClientOptions{.address = daemon_.address(), .timeout = 30s});
}

void DaemonTest::TearDown() {
  // Hang up first: a client still connected may keep the daemon waiting
  // (lifecycle_test.cc covers SIGTERM with clients connected).
  client_.reset();
  if (daemon_.running()) {
    EXPECT_TRUE(daemon_.Stop(5s));
  }
  // A daemon that ended by itself mid-test crashed (tests that end it do so
  // through Stop, Kill or WaitExit).
  EXPECT_FALSE(daemon_.exited_unasked())
      << "sidecard ended by itself, exit " << daemon_.exit_code();
  if (HasFailure()) std::fprintf(stderr, "--- sidecard log ---\n%s", daemon_.Log().c_str());
}

DaemonProcess::Options DaemonTest::MakeDaemonOptions() {
  DaemonProcess::Options options;
  options.allowed_roots = {tree_.root()};
  return options;
}

ValidateRun DaemonTest::Validate(v1::ValidateRequest request) {
  Share();
  ValidateRun run;
  int messages = 0;
  run.status = client_->Validate(request, [&](const v1::ValidateResponse& message) {
    ++messages;
    run.batch_sizes.push_back(message.reports_size());
    for (const v1::FileReport& report : message.reports()) run.reports.push_back(report);
    run.summary_last = message.has_summary();
    if (message.has_summary()) {
      ++run.summaries;
      run.summary = message.summary();
    }
  });
  return run;
}

ValidateRun DaemonTest::Validate(const std::string& root, const std::string& operation_filter) {
  v1::ValidateRequest request;
  request.set_root(root);
  request.set_operation_filter(operation_filter);
  return Validate(request);
}

grpc::Status DaemonTest::Stats(const std::string& root, v1::StatsResponse& stats,
                               const std::string& operation_filter, bool non_recursive) {
  Share();
  v1::StatsRequest request;
  request.set_root(root);
  request.set_operation_filter(operation_filter);
  request.set_non_recursive(non_recursive);
  return client_->Stats(request, &stats);
}

CleanupRun DaemonTest::Cleanup(v1::CleanupRequest request) {
  Share();
  CleanupRun run;
  run.status = client_->Cleanup(request, [&](const v1::CleanupResponse& message) {
    for (const v1::CleanupResult& result : message.results()) run.results.push_back(result);
    run.summary_last = message.has_summary();
    if (message.has_summary()) {
      ++run.summaries;
      run.summary = message.summary();
    }
  });
  return run;
}

CleanupRun DaemonTest::Cleanup(const std::string& root, v1::CleanupMode mode,
                               int64_t min_age_seconds) {
  v1::CleanupRequest request;
  request.set_root(root);
  request.set_mode(mode);
  request.set_min_age_seconds(min_age_seconds);
  return Cleanup(request);
}

RunResult DaemonTest::Ctl(const std::vector<std::string>& args, const std::string& cwd) {
  Share();
  return daemon_.Ctl(args, cwd);
}

std::vector<std::string> ReportPaths(const ValidateRun& run) {
  std::vector<std::string> paths;
  for (const v1::FileReport& report : run.reports) paths.push_back(report.file().path());
  return paths;
}

std::map<std::string, std::string> CleanupActions(const CleanupRun& run) {
  std::map<std::string, std::string> actions;
  for (const v1::CleanupResult& result : run.results) {
    actions[result.file().path()] = v1::CleanupAction_Name(result.action());
  }
  return actions;
}

}  // namespace sidecard::testing
