// bench_bare_parse: the practical limit for reading a sidecar tree.
//
//   bench_bare_parse DIR [--threads N] [--simdjson | --stat-only] [--repeat K] [--json]
//
// Walks DIR (directory symlinks not followed), collects every *.bin and *.json
// file (extension matched case-insensitively), then on N threads (default: the
// number of cores) reads each file whole and parses it: `.bin` is an 8-byte
// little-endian length followed by that many bytes of JSON, `.json` is JSON
// text. Parsing is RapidJSON with kParseDefaultFlags into a DOM, one Document
// per thread that is reused (its pool allocator is cleared between files), or
// with --simdjson a reused simdjson::dom::parser per thread. Nothing of
// sidecard is linked: this is what "read and parse every file" costs on this
// machine, the floor a cold Validate is compared with.
//
// With --stat-only each file is not read but fstatat()ed relative to its open
// directory, as a warm call without --watch must do to prove every file
// unchanged: the floor of such a call.
//
// Prints files, bytes, seconds (the walk included: a cold Validate must list
// the tree too; the walk alone is printed as well) and files that failed to
// parse. With --repeat K the whole walk+parse runs K times and the median is
// reported. --json prints one JSON object instead of text.
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

#ifdef BENCH_HAVE_SIMDJSON
#include "simdjson.h"
#endif

namespace {

using Clock = std::chrono::steady_clock;

bool EndsWithNoCase(std::string_view name, std::string_view suffix) {
  if (name.size() < suffix.size()) return false;
  std::string_view tail = name.substr(name.size() - suffix.size());
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = tail[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

struct Job {
  std::string path;
  bool bin = false;
  int dir_fd = -1;     // its directory, open (--stat-only)
  size_t name_at = 0;  // where its name starts in `path`
};

// Depth-first walk with readdir; d_type avoids a stat per entry where the
// filesystem provides it (ext4 does).
// With `keep_fds`, each directory stays open (its descriptor in `fds`) for
// stat calls relative to it.
void Walk(const std::string& dir, std::vector<Job>& out, bool keep_fds, std::vector<int>& fds) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fd < 0 ? nullptr : fdopendir(keep_fds ? dup(fd) : fd);
  if (d == nullptr) {
    std::fprintf(stderr, "bench_bare_parse: cannot open %s: %s\n", dir.c_str(),
                 std::strerror(errno));
    if (fd >= 0) close(fd);
    return;
  }
  if (keep_fds) fds.push_back(fd);
  std::vector<std::string> subdirs;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = e->d_type;
    std::string path = dir + "/" + std::string(name);
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
    }
    if (type == DT_DIR) {
      subdirs.push_back(std::move(path));
    } else if (type == DT_REG) {
      const size_t name_at = dir.size() + 1;
      if (EndsWithNoCase(name, ".bin")) {
        out.push_back({std::move(path), true, keep_fds ? fd : -1, name_at});
      } else if (EndsWithNoCase(name, ".json")) {
        out.push_back({std::move(path), false, keep_fds ? fd : -1, name_at});
      }
    }
  }
  closedir(d);
  for (const std::string& s : subdirs) Walk(s, out, keep_fds, fds);
}

// Reads a whole file into `buf` (grown as needed, with `padding` spare bytes).
bool ReadFile(const std::string& path, std::string& buf, size_t padding, size_t& size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return false;
  }
  size_t want = static_cast<size_t>(st.st_size);
  if (buf.size() < want + padding) buf.resize(want + padding);
  size_t got = 0;
  while (got < want) {
    ssize_t n = read(fd, buf.data() + got, want - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  size = got;
  return got == want;
}

// The JSON body of a file: all of a .json, the length-prefixed part of a .bin.
bool Body(const Job& job, const char* data, size_t size, const char*& body, size_t& len) {
  if (!job.bin) {
    body = data;
    len = size;
    return true;
  }
  if (size < 8) return false;
  uint64_t n = 0;
  std::memcpy(&n, data, 8);  // little-endian host
  if (n > size - 8) return false;
  body = data + 8;
  len = static_cast<size_t>(n);
  return true;
}

struct Totals {
  std::atomic<uint64_t> files{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> members{0};  // top-level members of all documents (a checksum)
};

void RapidWorker(const std::vector<Job>& jobs, std::atomic<size_t>& next, Totals& totals) {
  std::string buf;
  // One Document per thread, reused: values go to a pool allocator that is
  // cleared between files (its first chunk is a fixed buffer, so steady state
  // does few mallocs).
  std::vector<char> pool_buffer(1 << 20);
  rapidjson::MemoryPoolAllocator<> pool(pool_buffer.data(), pool_buffer.size());
  rapidjson::Document doc(&pool);
  uint64_t files = 0, bytes = 0, failed = 0, members = 0;
  for (;;) {
    size_t i = next.fetch_add(1, std::memory_order_relaxed);
    if (i >= jobs.size()) break;
    const Job& job = jobs[i];
    size_t size = 0;
    if (!ReadFile(job.path, buf, 1, size)) {
      ++failed;
      continue;
    }
    ++files;
    bytes += size;
    const char* body = nullptr;
    size_t len = 0;
    if (!Body(job, buf.data(), size, body, len)) {
      ++failed;
      continue;
    }
    doc.SetNull();
    pool.Clear();
    doc.Parse<rapidjson::kParseDefaultFlags>(body, len);
    if (doc.HasParseError()) {
      ++failed;
    } else if (doc.IsObject()) {
      members += doc.MemberCount();
    }
  }
  totals.files += files;
  totals.bytes += bytes;
  totals.failed += failed;
  totals.members += members;
}

// --stat-only: what proving each file unchanged by its stamp costs.
void StatWorker(const std::vector<Job>& jobs, std::atomic<size_t>& next, Totals& totals) {
  uint64_t files = 0, bytes = 0, failed = 0;
  for (;;) {
    size_t i = next.fetch_add(1, std::memory_order_relaxed);
    if (i >= jobs.size()) break;
    const Job& job = jobs[i];
    struct stat st;
    if (fstatat(job.dir_fd, job.path.c_str() + job.name_at, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      ++failed;
      continue;
    }
    ++files;
    bytes += static_cast<uint64_t>(st.st_size);
  }
  totals.files += files;
  totals.bytes += bytes;
  totals.failed += failed;
}

#ifdef BENCH_HAVE_SIMDJSON
void SimdWorker(const std::vector<Job>& jobs, std::atomic<size_t>& next, Totals& totals) {
  std::string buf;
  simdjson::dom::parser parser;
  uint64_t files = 0, bytes = 0, failed = 0, members = 0;
  for (;;) {
    size_t i = next.fetch_add(1, std::memory_order_relaxed);
    if (i >= jobs.size()) break;
    const Job& job = jobs[i];
    size_t size = 0;
    if (!ReadFile(job.path, buf, simdjson::SIMDJSON_PADDING, size)) {
      ++failed;
      continue;
    }
    ++files;
    bytes += size;
    const char* body = nullptr;
    size_t len = 0;
    if (!Body(job, buf.data(), size, body, len)) {
      ++failed;
      continue;
    }
    // The buffer has SIMDJSON_PADDING spare bytes after the body in both cases.
    simdjson::dom::element root;
    if (parser.parse(body, len, false).get(root) != simdjson::SUCCESS) {
      ++failed;
      continue;
    }
    simdjson::dom::object obj;
    if (root.get(obj) == simdjson::SUCCESS) members += obj.size();
  }
  totals.files += files;
  totals.bytes += bytes;
  totals.failed += failed;
  totals.members += members;
}
#endif

struct RunResult {
  double seconds = 0;
  double walk_seconds = 0;
  uint64_t files = 0, bytes = 0, failed = 0, members = 0;
};

RunResult RunOnce(const std::string& root, int threads, bool simd, bool stat_only) {
  RunResult r;
  auto t0 = Clock::now();
  std::vector<Job> jobs;
  std::vector<int> fds;
  jobs.reserve(1 << 17);
  Walk(root, jobs, stat_only, fds);
  auto t1 = Clock::now();
  Totals totals;
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    if (stat_only) {
      pool.emplace_back(StatWorker, std::cref(jobs), std::ref(next), std::ref(totals));
      continue;
    }
#ifdef BENCH_HAVE_SIMDJSON
    if (simd) {
      pool.emplace_back(SimdWorker, std::cref(jobs), std::ref(next), std::ref(totals));
      continue;
    }
#else
    (void)simd;
#endif
    pool.emplace_back(RapidWorker, std::cref(jobs), std::ref(next), std::ref(totals));
  }
  for (auto& th : pool) th.join();
  auto t2 = Clock::now();
  for (int fd : fds) close(fd);
  r.walk_seconds = std::chrono::duration<double>(t1 - t0).count();
  r.seconds = std::chrono::duration<double>(t2 - t0).count();
  r.files = totals.files;
  r.bytes = totals.bytes;
  r.failed = totals.failed;
  r.members = totals.members;
  return r;
}

int Usage() {
  std::fprintf(stderr,
               "usage: bench_bare_parse DIR [--threads N] [--simdjson | --stat-only] [--repeat K] "
               "[--json]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root;
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads < 1) threads = 1;
  bool simd = false, json = false, stat_only = false;
  int repeat = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (a == "--simdjson") {
      simd = true;
    } else if (a == "--stat-only") {
      stat_only = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "-h" || a == "--help") {
      return Usage();
    } else if (!a.empty() && a[0] != '-' && root.empty()) {
      root = std::string(a);
    } else {
      return Usage();
    }
  }
  if (root.empty() || threads < 1 || repeat < 1) return Usage();
#ifndef BENCH_HAVE_SIMDJSON
  if (simd) {
    std::fprintf(stderr, "bench_bare_parse: built without simdjson\n");
    return 2;
  }
#endif
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (simd && stat_only) return Usage();
  if (stat_only) {  // one descriptor per directory stays open
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      limit.rlim_cur = limit.rlim_max;
      setrlimit(RLIMIT_NOFILE, &limit);
    }
  }

  std::vector<RunResult> runs;
  for (int k = 0; k < repeat; ++k) runs.push_back(RunOnce(root, threads, simd, stat_only));
  std::vector<RunResult> sorted = runs;
  std::sort(sorted.begin(), sorted.end(),
            [](const RunResult& a, const RunResult& b) { return a.seconds < b.seconds; });
  const RunResult& m = sorted[sorted.size() / 2];
  const char* parser = stat_only ? "stat-only" : simd ? "simdjson" : "rapidjson";
  if (json) {
    std::printf(
        "{\"parser\": \"%s\", \"threads\": %d, \"repeat\": %d, \"files\": %llu, \"bytes\": "
        "%llu, \"failed\": %llu, \"members\": %llu, \"seconds\": %.6f, \"walk_seconds\": %.6f, "
        "\"all_seconds\": [",
        parser, threads, repeat, static_cast<unsigned long long>(m.files),
        static_cast<unsigned long long>(m.bytes), static_cast<unsigned long long>(m.failed),
        static_cast<unsigned long long>(m.members), m.seconds, m.walk_seconds);
    for (size_t i = 0; i < runs.size(); ++i) {
      std::printf("%s%.6f", i ? ", " : "", runs[i].seconds);
    }
    std::printf("]}\n");
  } else {
    std::printf(
        "bare parse (%s, %d threads): %llu files, %llu bytes (%.1f MB), %.3f s "
        "(walk %.3f s), %.0f MB/s, %llu failed (median of %d)\n",
        parser, threads, static_cast<unsigned long long>(m.files),
        static_cast<unsigned long long>(m.bytes), static_cast<double>(m.bytes) / 1e6, m.seconds,
        m.walk_seconds, static_cast<double>(m.bytes) / 1e6 / m.seconds,
        static_cast<unsigned long long>(m.failed), repeat);
  }
  return m.failed == 0 ? 0 : 1;
}
