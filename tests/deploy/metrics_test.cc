// The Prometheus endpoint (--metrics-listen) scraped over HTTP and parsed,
// and the same figures in GetServerInfo / `sidecarctl info`.
#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "support/daemon_process.h"
#include "support/metrics_scrape.h"
#include "support/proto_containers.h"
#include "support/sidecar_documents.h"

namespace sidecard::testing {
namespace {

constexpr char kStatsOk[] = R"(sidecard_calls_total{method="Stats",code="OK"})";
constexpr char kStatsDenied[] = R"(sidecard_calls_total{method="Stats",code="PERMISSION_DENIED"})";
constexpr char kStatsCount[] = R"(sidecard_call_duration_seconds_count{method="Stats"})";
constexpr char kStatsInf[] = R"(sidecard_call_duration_seconds_bucket{method="Stats",le="+Inf"})";

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    photos_.WriteBin("a/IMG_1.bin", kFaceDoc);
    photos_.WriteFile("a/IMG_1.jpg", "jpeg");
    ASSERT_TRUE(daemon_.StartWith(
        {"--allowed-root", photos_.root(), "--workers", "2", "--metrics-listen", "127.0.0.1:0"}));
    const std::optional<int> port = MetricsPort(daemon_.Log());
    ASSERT_TRUE(port.has_value()) << daemon_.Log();
    port_ = *port;
    client_ = MakeClient(daemon_.address());
  }

  void TearDown() override {
    client_.reset();
    EXPECT_TRUE(daemon_.Stop());
    if (HasFailure()) std::fprintf(stderr, "--- sidecard log ---\n%s", daemon_.Log().c_str());
  }

  // The body of GET /metrics; fails the test unless the answer is 200.
  std::string Scrape() {
    const std::string response = HttpGet(port_, "/metrics");
    EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response.substr(0, 200);
    const size_t body = response.find("\r\n\r\n");
    return body == std::string::npos ? "" : response.substr(body + 4);
  }

  grpc::StatusCode Stats(const std::string& root) {
    v1::StatsRequest request;
    request.set_root(root);
    v1::StatsResponse stats;
    return client_->Stats(request, &stats).error_code();
  }

  testing::TempTree photos_;
  DaemonProcess daemon_;
  int port_ = 0;
  std::unique_ptr<Client> client_;
};

TEST_F(MetricsTest, CountersAndHistogramsFollowTheCalls) {
  const std::string before = Scrape();
  EXPECT_EQ(MetricValue(before, kStatsOk), std::nullopt) << before;

  ASSERT_EQ(Stats(photos_.root()), grpc::StatusCode::OK);
  const std::string once = Scrape();
  EXPECT_EQ(MetricValue(once, kStatsOk), 1);
  EXPECT_EQ(MetricValue(once, kStatsCount), 1);

  ASSERT_EQ(Stats(photos_.root()), grpc::StatusCode::OK);
  ASSERT_EQ(Stats("/"), grpc::StatusCode::PERMISSION_DENIED);
  const std::string after = Scrape();
  EXPECT_EQ(MetricValue(after, kStatsOk), 2);
  EXPECT_EQ(MetricValue(after, kStatsDenied), 1);
  EXPECT_EQ(MetricValue(after, kStatsCount), 3);
  EXPECT_EQ(MetricValue(after, kStatsInf), 3);
  // Buckets are cumulative: non-decreasing up to +Inf.
  double previous = 0;
  int buckets = 0;
  std::istringstream lines(after);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(R"(sidecard_call_duration_seconds_bucket{method="Stats")", 0) != 0) continue;
    const double value = std::stod(line.substr(line.rfind(' ') + 1));
    EXPECT_GE(value, previous) << line;
    previous = value;
    ++buckets;
  }
  EXPECT_EQ(buckets, 20);  // 1, 2.5, 5 × 10^n from 100 µs to 100 s, and +Inf
  EXPECT_GT(MetricValue(after, R"(sidecard_call_duration_seconds_sum{method="Stats"})").value_or(0),
            0);
}

TEST_F(MetricsTest, GaugesAndBuildInfo) {
  const std::string text = Scrape();
  EXPECT_NE(text.find("# TYPE sidecard_calls_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE sidecard_call_duration_seconds histogram"), std::string::npos);
  EXPECT_EQ(MetricValue(text, "sidecard_workers"), 2);
  EXPECT_EQ(MetricValue(text, "sidecard_active_calls"), 0);
  EXPECT_EQ(MetricValue(text, "sidecard_queued_tasks"), 0);
  EXPECT_GT(MetricValue(text, "sidecard_uptime_seconds").value_or(-1), 0);
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(client_->GetServerInfo(&info).ok());
  EXPECT_EQ(MetricValue(text, R"(sidecard_build_info{version=")" + info.version() + R"("})"), 1);
}

TEST_F(MetricsTest, ServerInfoShowsPerMethodCountsAndPercentiles) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Stats(photos_.root()), grpc::StatusCode::OK);
  ASSERT_EQ(Stats("/"), grpc::StatusCode::PERMISSION_DENIED);
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(client_->GetServerInfo(&info).ok());
  EXPECT_EQ(info.calls_by_method().at("Stats"), 6);
  const v1::MethodFigures* stats = nullptr;
  for (const v1::MethodFigures& method : info.methods()) {
    if (method.method() == "Stats") stats = &method;
  }
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->calls(), 6);
  EXPECT_EQ(stats->failed_calls(), 1);
  EXPECT_EQ(ToStdMap(stats->calls_by_status()),
            (std::map<std::string, int64_t>{{"OK", 5}, {"PERMISSION_DENIED", 1}}));
  EXPECT_GT(stats->latency_p50_ms(), 0);
  EXPECT_LE(stats->latency_p50_ms(), stats->latency_p90_ms());
  EXPECT_LE(stats->latency_p90_ms(), stats->latency_p99_ms());
  EXPECT_LE(stats->latency_p99_ms(), stats->latency_max_ms());
  EXPECT_EQ(info.log_level(), "info");

  const RunResult ctl = daemon_.Ctl({"info"});
  ASSERT_EQ(ctl.exit_code, 0) << ctl;
  EXPECT_TRUE(std::regex_search(ctl.out, std::regex("\nlog level +info\n"))) << ctl.out;
  EXPECT_TRUE(std::regex_search(ctl.out, std::regex("\nmetadata cache +[0-9,]+ files"))) << ctl.out;
  const std::regex header(R"(method +calls +failed +p50 +p90 +p99 +max)");
  const std::regex stats_row(R"(\nStats +6 +1 +[0-9.]+ (µs|ms|s) )");
  EXPECT_TRUE(std::regex_search(ctl.out, header)) << ctl.out;
  EXPECT_TRUE(std::regex_search(ctl.out, stats_row)) << ctl.out;
}

// Every figure `sidecarctl info` shows, the standard process metrics, per
// method what the calls found; no NaN anywhere, and names by the conventions.
TEST_F(MetricsTest, ExportsCacheProcessAndFoundFiguresByTheConventions) {
  photos_.WriteFile("a/IMG_2.json", "{not json");
  photos_.WriteFile("a/IMG_2.jpg", "jpeg");
  photos_.WriteBin("a/IMG_3.bin", kFaceDoc);  // an orphan: no IMG_3 image
  for (int i = 0; i < 2; ++i) {
    const RunResult validate = daemon_.Ctl({"validate", photos_.root()});
    EXPECT_NE(validate.out.find("INVALID"), std::string::npos) << validate;
  }
  const RunResult cleanup = daemon_.Ctl({"cleanup", photos_.root()});
  EXPECT_NE(cleanup.out.find("IMG_3.bin"), std::string::npos) << cleanup;
  const std::string text = Scrape();
  const auto value = [&](const std::string& series) {
    return MetricValue(text, series).value_or(-1);
  };

  EXPECT_EQ(value(R"(sidecard_files_examined_total{method="Validate"})"), 6);  // 3 files, twice
  EXPECT_EQ(value(R"(sidecard_invalid_sidecars_total{method="Validate"})"), 2);
  EXPECT_EQ(value(R"(sidecard_orphans_total{method="Validate"})"), 2);
  EXPECT_EQ(value(R"(sidecard_orphans_total{method="Cleanup"})"), 1);
  EXPECT_GT(value(R"(sidecard_files_examined_total{method="Cleanup"})"), 0);

  EXPECT_EQ(value("sidecard_cache_enabled"), 1);
  EXPECT_EQ(value("sidecard_cache_entries"), 3);
  EXPECT_GT(value("sidecard_cache_bytes"), 0);
  EXPECT_GT(value("sidecard_cache_max_bytes"), value("sidecard_cache_bytes"));
  EXPECT_GE(value("sidecard_cache_misses_total"), 3);
  EXPECT_GE(value("sidecard_cache_hits_total") + value("sidecard_cache_directory_tally_hits_total"),
            1);  // the second Validate
  EXPECT_EQ(value("sidecard_cache_evictions_total"), 0);
  for (const char* name :
       {"sidecard_cache_directories",  // none held yet: changed within the last 2 s
        "sidecard_cache_watches", "sidecard_cache_directory_tallies",
        "sidecard_cache_listing_hits_total", "sidecard_cache_watch_overflows_total",
        "sidecard_cache_watch_refusals_total", "sidecard_cache_unwatchable_scans_total",
        "sidecard_cache_watch_links_seen_total"}) {
    EXPECT_GE(value(name), 0) << name;
  }
  // The same figures as `sidecarctl info`.
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(client_->GetServerInfo(&info).ok());
  EXPECT_EQ(value("sidecard_cache_entries"), info.cache().entries());
  EXPECT_EQ(value("sidecard_cache_misses_total"), info.cache().misses());

  EXPECT_GT(value("process_open_fds"), 0);
  EXPECT_GT(value("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(value("process_virtual_memory_bytes"), value("process_resident_memory_bytes"));
  EXPECT_GT(value("process_cpu_seconds_total"), 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(value("process_start_time_seconds"), now);
  EXPECT_GT(value("process_start_time_seconds"), now - 120);

  std::map<std::string, std::string> types;  // family name -> type
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find("Nan"), std::string::npos) << line;
    EXPECT_EQ(line.find("NaN"), std::string::npos) << line;
    EXPECT_EQ(line.rfind("exposer_", 0), std::string::npos) << line;
    std::smatch type;
    if (std::regex_match(line, type, std::regex(R"(# TYPE (\S+) (\S+))"))) {
      types[type[1]] = type[2];
    }
  }
  for (const char* name : {"sidecard_cache_hits_total", "sidecard_cache_entries",
                           "process_cpu_seconds_total", "process_start_time_seconds"}) {
    EXPECT_TRUE(types.count(name)) << name;
  }
  for (const auto& [name, type] : types) {
    const bool total = std::regex_search(name, std::regex("_total$"));
    EXPECT_EQ(total, type == "counter") << name << " " << type;
    std::string base = std::regex_replace(name, std::regex("_total$"), "");
    if (base.find("_bytes") != std::string::npos) {
      EXPECT_TRUE(base.ends_with("_bytes")) << name;
    }
    if (base.find("_seconds") != std::string::npos) {
      EXPECT_TRUE(base.ends_with("_seconds")) << name;
    }
    EXPECT_FALSE(std::regex_search(name, std::regex("_(ms|us|micro|milli)"))) << name;
  }
}

TEST(MetricsEndpoint, AnAddressInUseStopsTheDaemon) {
  testing::TempTree photos;
  DaemonProcess first;
  ASSERT_TRUE(
      first.StartWith({"--allowed-root", photos.root(), "--metrics-listen", "127.0.0.1:0"}));
  const std::optional<int> port = MetricsPort(first.Log());
  ASSERT_TRUE(port.has_value());
  DaemonProcess second;
  ASSERT_TRUE(second.StartWith(
      {"--allowed-root", photos.root(), "--metrics-listen", "127.0.0.1:" + std::to_string(*port)},
      {}, /*wait_serving=*/false));
  EXPECT_EQ(second.WaitExit(), 1);
  // The address and the reason, not civetweb's "null context when constructing CivetServer".
  EXPECT_NE(second.Log().find("--metrics-listen: cannot listen on 127.0.0.1:" +
                              std::to_string(*port) + ": address already in use"),
            std::string::npos)
      << second.Log();
  EXPECT_EQ(second.Log().find("CivetServer"), std::string::npos) << second.Log();
  EXPECT_TRUE(first.Stop());
}

}  // namespace
}  // namespace sidecard::testing
