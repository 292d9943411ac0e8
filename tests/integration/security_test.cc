// Transport and identity: the real daemon with a TCP listener, real
// certificates made by `openssl` for the test (a CA, a server certificate for
// 127.0.0.1/localhost, a client certificate of that CA, and a client
// certificate of another CA), a real token file, driven through the C++
// client and sidecarctl.
//
// Checked: TLS with a read-write token serves every call; no or a wrong token
// is UNAUTHENTICATED; a read-only token reads but cannot change files (and
// nothing changes); mutual TLS refuses clients without a certificate of the
// right CA; a plaintext client cannot talk to a TLS port; the start-up
// refusals (no TLS, no token file, a readable or malformed token file);
// --insecure; --read-only over the Unix socket; --health-listen; SIGHUP
// re-reading the token file and --read-only.
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <thread>

#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

constexpr char kReadWriteToken[] = "rw-token-7c1d2e3f4a5b6c7d";
constexpr char kReadOnlyToken[] = "ro-token-0a9b8c7d6e5f4a3b";

// Certificates for one test run, in a directory the daemon's user can read.
class Pki {
 public:
  Pki() {
    const std::string script = R"(set -e
gen() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
          -out "$1.csr" -subj "/CN=$2" 2>/dev/null; }
for ca in ca other-ca; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key \
    -out $ca.pem -days 2 -subj /CN=$ca 2>/dev/null
done
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
gen server localhost
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem 2>/dev/null
gen client client
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile client.ext -out client.pem 2>/dev/null
gen stranger stranger
openssl x509 -req -in stranger.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial \
  -days 2 -extfile client.ext -out stranger.pem 2>/dev/null
)";
    const RunResult run = RunProcess({"/bin/sh", "-c", script}, dir_.root());
    ok_ = run.exit_code == 0;
    if (!ok_) ADD_FAILURE() << "openssl failed: " << run;
    dir_.WriteFile("tokens", std::string("# the test's tokens\nread-write ") + kReadWriteToken +
                                 "\n\nread-only " + kReadOnlyToken + "\n");
    chmod(Path("tokens").c_str(), 0600);
    ShareWithDaemon(dir_.root());
  }

  bool ok() const { return ok_; }
  std::string Path(std::string_view name) const { return dir_.Path(name); }
  std::string Read(std::string_view name) const { return ReadWholeFile(Path(name)); }

 private:
  testing::TempTree dir_;
  bool ok_ = false;
};

// The TCP address the daemon reports in "listening on 127.0.0.1:PORT (".
std::string TcpAddress(const std::string& log) {
  std::smatch match;
  const std::regex line(R"(listening on (127\.0\.0\.1:[0-9]+) \()");
  return std::regex_search(log, match, line) ? match[1].str() : "";
}

// A client of the TCP listener: TLS against the test CA unless `plaintext`.
struct TcpClientSpec {
  std::string token{};
  bool plaintext = false;
  std::string cert{};  // client certificate name in the Pki ("client", "stranger")
};

class SecurityTest : public DaemonTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = {
        "--listen",  "127.0.0.1:0",           "--tls-cert",   pki_.Path("server.pem"),
        "--tls-key", pki_.Path("server.key"), "--token-file", pki_.Path("tokens")};
    const std::vector<std::string> more = ExtraArgs();
    options.extra_args.insert(options.extra_args.end(), more.begin(), more.end());
    return options;
  }
  virtual std::vector<std::string> ExtraArgs() { return {}; }

  void SetUp() override {
    ASSERT_TRUE(pki_.ok());
    DaemonTest::SetUp();
    tcp_address_ = TcpAddress(daemon_.Log());
    ASSERT_FALSE(tcp_address_.empty()) << daemon_.Log();
  }

  std::unique_ptr<Client> TcpClient(const TcpClientSpec& spec) const {
    ClientOptions options{.address = tcp_address_, .timeout = 10s, .max_attempts = 1};
    options.token = spec.token;
    if (!spec.plaintext) {
      options.tls = true;
      options.tls_root_certificates = pki_.Read("ca.pem");
    }
    if (!spec.cert.empty()) {
      options.tls_client_certificate = pki_.Read(spec.cert + ".pem");
      options.tls_client_key = pki_.Read(spec.cert + ".key");
    }
    return std::make_unique<Client>(options);
  }

  // A small tree: an image with a sidecar, and an orphaned sidecar.
  void BuildTree() {
    tree_.WriteFile("IMG_1.jpg", "jpeg");
    tree_.WriteBin("IMG_1.bin", kFaceDoc);
    tree_.WriteBin("orphan.bin", kYoloDoc);
    Share();
  }

  static grpc::Status Save(Client& client, const std::string& image) {
    v1::SaveSidecarRequest request;
    request.set_image_path(image);
    request.set_operation("yolov8");
    request.set_payload_json(R"({"objects":[]})");
    v1::SaveSidecarResponse response;
    return client.SaveSidecar(request, &response);
  }

  static grpc::Status CleanupCall(Client& client, const std::string& root, v1::CleanupMode mode) {
    v1::CleanupRequest request;
    request.set_root(root);
    request.set_mode(mode);
    return client.Cleanup(request, [](const v1::CleanupResponse&) {});
  }

  static grpc::Status Convert(Client& client, const std::string& root, bool apply) {
    v1::ConvertRequest request;
    request.set_root(root);
    request.set_target_format(v1::SIDECAR_FORMAT_JSON);
    request.set_apply(apply);
    return client.Convert(request, [](const v1::ConvertResponse&) {});
  }

  static grpc::Status StatsCall(Client& client, const std::string& root) {
    v1::StatsRequest request;
    request.set_root(root);
    v1::StatsResponse response;
    return client.Stats(request, &response);
  }

  // sidecarctl against the TCP listener with `flags` before the command.
  RunResult TcpCtl(std::vector<std::string> flags, const std::vector<std::string>& command) {
    Share();
    std::vector<std::string> argv = {SIDECARCTL_BINARY, "--address", tcp_address_};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), command.begin(), command.end());
    return RunProcess(argv);
  }

  Pki pki_;
  std::string tcp_address_;
};

TEST_F(SecurityTest, TlsWithAReadWriteTokenServesEveryCall) {
  BuildTree();
  auto client = TcpClient({.token = kReadWriteToken});
  v1::StatsRequest stats_request;
  stats_request.set_root(tree_.root());
  v1::StatsResponse stats;
  ASSERT_TRUE(client->Stats(stats_request, &stats).ok());
  EXPECT_EQ(stats.total_images(), 1);
  EXPECT_EQ(stats.total_sidecar_files(), 2);
  v1::GetServerInfoResponse info;
  EXPECT_TRUE(client->GetServerInfo(&info).ok());
  const grpc::Status saved = Save(*client, P("IMG_1.jpg"));
  EXPECT_TRUE(saved.ok()) << saved.error_message();
  EXPECT_NE(ReadWholeFile(P("IMG_1.bin")).find("yolov8"), std::string::npos);
  EXPECT_TRUE(CleanupCall(*client, tree_.root(), v1::CLEANUP_MODE_DELETE).ok());
  EXPECT_FALSE(tree_.Exists("orphan.bin"));
  EXPECT_NE(daemon_.Log().find("(TLS, bearer tokens)"), std::string::npos);
}

TEST_F(SecurityTest, NoTokenOrAWrongTokenIsUnauthenticated) {
  BuildTree();
  const TreeListing before = ListTree(tree_.root());
  for (const char* token : {"", "rw-token-7c1d2e3f4a5b6c7e", "Bearer", kReadWriteToken + 1}) {
    SCOPED_TRACE(std::string("token '") + token + "'");
    auto client = TcpClient({.token = token});
    const grpc::Status stats = StatsCall(*client, tree_.root());
    EXPECT_EQ(stats.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_NE(stats.error_message().find(*token == '\0' ? "missing bearer token" : "unknown token"),
              std::string::npos)
        << stats.error_message();
    EXPECT_EQ(Save(*client, P("IMG_1.jpg")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(CleanupCall(*client, tree_.root(), v1::CLEANUP_MODE_DELETE).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    v1::GetServerInfoResponse info;
    EXPECT_EQ(client->GetServerInfo(&info).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    // Health needs no token: probes cannot send one, and it reveals no data.
    HealthStatus health = grpc::health::v1::HealthCheckResponse::UNKNOWN;
    EXPECT_TRUE(client->CheckHealth("", &health).ok());
    EXPECT_EQ(health, grpc::health::v1::HealthCheckResponse::SERVING);
  }
  EXPECT_EQ(ListTree(tree_.root()), before);
  // The log names the refusals but never a token.
  const std::string log = daemon_.Log();
  EXPECT_NE(log.find("status=UNAUTHENTICATED"), std::string::npos);
  EXPECT_EQ(log.find("rw-token-"), std::string::npos);
  EXPECT_EQ(log.find("ro-token-"), std::string::npos);
}

TEST_F(SecurityTest, AReadOnlyTokenReadsButChangesNothing) {
  BuildTree();
  const TreeListing before = ListTree(tree_.root());
  auto client = TcpClient({.token = kReadOnlyToken});

  v1::ValidateRequest validate;
  validate.set_root(tree_.root());
  int reports = 0;
  EXPECT_TRUE(
      client
          ->Validate(validate, [&](const v1::ValidateResponse& m) { reports += m.reports_size(); })
          .ok());
  EXPECT_EQ(reports, 2);
  EXPECT_TRUE(StatsCall(*client, tree_.root()).ok());
  EXPECT_TRUE(CleanupCall(*client, tree_.root(), v1::CLEANUP_MODE_DRY_RUN).ok());
  EXPECT_TRUE(CleanupCall(*client, tree_.root(), v1::CLEANUP_MODE_UNSPECIFIED).ok());
  EXPECT_TRUE(Convert(*client, tree_.root(), /*apply=*/false).ok());
  v1::ReadSidecarRequest read;
  read.set_image_path(P("IMG_1.jpg"));
  v1::ReadSidecarResponse document;
  EXPECT_TRUE(client->ReadSidecar(read, &document).ok());
  v1::ExportRequest export_request;
  export_request.set_root(tree_.root());
  EXPECT_TRUE(client->Export(export_request, [](const v1::ExportResponse&) {}).ok());

  const grpc::Status save = Save(*client, P("IMG_1.jpg"));
  EXPECT_EQ(save.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(save.error_message().find("read-only"), std::string::npos) << save.error_message();
  EXPECT_NE(save.error_message().find("SaveSidecar"), std::string::npos) << save.error_message();
  for (const v1::CleanupMode mode : {v1::CLEANUP_MODE_DELETE, v1::CLEANUP_MODE_QUARANTINE}) {
    const grpc::Status cleanup = CleanupCall(*client, tree_.root(), mode);
    EXPECT_EQ(cleanup.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(cleanup.error_message().find("Cleanup"), std::string::npos);
  }
  EXPECT_EQ(Convert(*client, tree_.root(), /*apply=*/true).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  for (const bool apply : {false, true}) {
    v1::PruneRequest prune;
    prune.set_root(tree_.root());
    prune.set_operation("face_detection");
    prune.set_apply(apply);
    const grpc::Status pruned = client->Prune(prune, [](const v1::PruneResponse&) {});
    EXPECT_EQ(pruned.error_code(),
              apply ? grpc::StatusCode::PERMISSION_DENIED : grpc::StatusCode::OK)
        << pruned.error_message();
  }
  EXPECT_EQ(ListTree(tree_.root()), before);
}

TEST_F(SecurityTest, APlaintextClientCannotTalkToTheTlsPort) {
  auto client = TcpClient({.token = kReadWriteToken, .plaintext = true});
  EXPECT_EQ(StatsCall(*client, tree_.root()).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A TLS client that does not trust the daemon's CA fails too. Not under
  // ASan: now and then the failed handshake leaks an OpenSSL session inside
  // Debian's gRPC 1.51 (a LeakSanitizer report at exit, 968 bytes from
  // CRYPTO_zalloc; seen once in 24 runs here), which is not ours to fix; the
  // normal run checks this.
  if (!kUnderSanitizer) {
    ClientOptions untrusting{.address = tcp_address_, .timeout = 10s, .max_attempts = 1};
    untrusting.token = kReadWriteToken;
    untrusting.tls = true;
    untrusting.tls_root_certificates = pki_.Read("other-ca.pem");
    Client wrong_ca(untrusting);
    EXPECT_EQ(StatsCall(wrong_ca, tree_.root()).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  // Neither call reached the service.
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(client_->GetServerInfo(&info).ok());
  EXPECT_EQ(info.calls_by_method().count("Stats"), 0u);
}

TEST_F(SecurityTest, SidecarctlTakesTheTokenAndTlsFromFlagsAndEnvironment) {
  BuildTree();
  testing::TempTree client_files;
  client_files.WriteFile("rw.token", std::string("# mine\n") + kReadWriteToken + "\n");
  client_files.WriteFile("ro.token", std::string(kReadOnlyToken) + "\n");
  const std::string ca = pki_.Path("ca.pem");

  RunResult stats = TcpCtl({"--tls-ca", ca, "--token-file", client_files.Path("rw.token")},
                           {"stats", tree_.root(), "--json"});
  EXPECT_EQ(stats.exit_code, 0) << stats;
  EXPECT_NE(stats.out.find("\"total_images\": 1"), std::string::npos) << stats;

  RunResult no_token = TcpCtl({"--tls-ca", ca}, {"stats", tree_.root()});
  EXPECT_EQ(no_token.exit_code, 4) << no_token;
  EXPECT_NE(no_token.err.find("UNAUTHENTICATED: missing bearer token"), std::string::npos)
      << no_token;

  RunResult save = TcpCtl({"--tls-ca", ca, "--token-file", client_files.Path("ro.token")},
                          {"save", P("IMG_1.jpg"), "yolov8", "--data", R"({"objects":[]})"});
  EXPECT_EQ(save.exit_code, 4) << save;
  EXPECT_NE(save.err.find("PERMISSION_DENIED"), std::string::npos) << save;

  // The environment: SIDECARD_TLS_CA and SIDECARD_TOKEN_FILE (the child
  // inherits this process's environment).
  setenv("SIDECARD_TLS_CA", ca.c_str(), 1);
  setenv("SIDECARD_TOKEN_FILE", client_files.Path("rw.token").c_str(), 1);
  RunResult cleanup = TcpCtl({}, {"cleanup", tree_.root(), "--delete"});
  unsetenv("SIDECARD_TLS_CA");
  unsetenv("SIDECARD_TOKEN_FILE");
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup;
  EXPECT_FALSE(tree_.Exists("orphan.bin"));

  // The daemon's own `ROLE TOKEN` format is not a client token file.
  RunResult wrong_file =
      TcpCtl({"--tls-ca", ca, "--token-file", pki_.Path("tokens")}, {"stats", tree_.root()});
  EXPECT_EQ(wrong_file.exit_code, 2) << wrong_file;
  EXPECT_NE(wrong_file.err.find("token alone"), std::string::npos) << wrong_file;
}

class SecurityMutualTlsTest : public SecurityTest {
 protected:
  std::vector<std::string> ExtraArgs() override { return {"--tls-client-ca", pki_.Path("ca.pem")}; }
};

TEST_F(SecurityMutualTlsTest, OnlyClientsWithACertificateOfTheClientCaGetIn) {
  Share();
  auto with_cert = TcpClient({.token = kReadWriteToken, .cert = "client"});
  const grpc::Status ok = StatsCall(*with_cert, tree_.root());
  EXPECT_TRUE(ok.ok()) << ok.error_message();

  auto without_cert = TcpClient({.token = kReadWriteToken});
  EXPECT_EQ(StatsCall(*without_cert, tree_.root()).error_code(), grpc::StatusCode::UNAVAILABLE);
  auto stranger = TcpClient({.token = kReadWriteToken, .cert = "stranger"});
  EXPECT_EQ(StatsCall(*stranger, tree_.root()).error_code(), grpc::StatusCode::UNAVAILABLE);

  // The certificate does not replace the token.
  auto cert_no_token = TcpClient({.cert = "client"});
  EXPECT_EQ(StatsCall(*cert_no_token, tree_.root()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(daemon_.Log().find("(mutual TLS, bearer tokens)"), std::string::npos);

  v1::GetServerInfoResponse info;
  ASSERT_TRUE(client_->GetServerInfo(&info).ok());
  EXPECT_EQ(info.calls_by_method().at("Stats"), 2);  // the good one and the tokenless one
}

// ------------------------------------------------------------ start-up

class SecurityStartupTest : public ::testing::Test {
 protected:
  // Runs the daemon with `args` (plus an allowed root) until it exits; a
  // daemon that starts serving is killed after `timeout`.
  RunResult RunDaemon(std::vector<std::string> args, std::chrono::milliseconds timeout = 10s) {
    std::vector<std::string> argv = {SIDECARD_BINARY, "--allowed-root", root_.root(), "--listen",
                                     "unix:" + root_.Path("s.sock")};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, "", timeout);
  }

  Pki pki_;
  testing::TempTree root_;
};

TEST_F(SecurityStartupTest, ATcpListenerWithoutTlsIsRefusedUnlessInsecure) {
  const RunResult run = RunDaemon({"--listen", "127.0.0.1:0", "--token-file", pki_.Path("tokens")});
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_NE(run.err.find("--listen 127.0.0.1:0: a network listener needs TLS (--tls-cert and "
                         "--tls-key); --insecure allows plaintext"),
            std::string::npos)
      << run;
}

TEST_F(SecurityStartupTest, ATcpListenerWithoutATokenFileIsRefused) {
  for (const std::vector<std::string>& transport :
       {std::vector<std::string>{"--insecure"},
        std::vector<std::string>{"--tls-cert", pki_.Path("server.pem"), "--tls-key",
                                 pki_.Path("server.key")}}) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0"};
    args.insert(args.end(), transport.begin(), transport.end());
    const RunResult run = RunDaemon(args);
    EXPECT_EQ(run.exit_code, 2) << run;
    EXPECT_NE(run.err.find("a network listener needs --token-file"), std::string::npos) << run;
  }
}

TEST_F(SecurityStartupTest, ATokenFileOthersMayReadOrThatIsMalformedIsRefused) {
  testing::TempTree files;
  const std::vector<std::string> tls = {"--listen", "127.0.0.1:0", "--insecure", "--token-file"};
  files.WriteFile("shared", std::string("read-write ") + kReadWriteToken + "\n");
  chmod(files.Path("shared").c_str(), 0644);
  std::vector<std::string> args = tls;
  args.push_back(files.Path("shared"));
  RunResult run = RunDaemon(args);
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_NE(run.err.find("--token-file " + files.Path("shared") +
                         ": mode 0644 lets group or others access the tokens; chmod 600 it"),
            std::string::npos)
      << run;

  const std::pair<std::string, std::string> bad[] = {
      {"read-write\n", "line 1: expected `read-only TOKEN` or `read-write TOKEN`"},
      {"# ok\nread-only " + std::string(kReadOnlyToken) + " extra\n", "line 2: expected"},
      {"admin " + std::string(kReadWriteToken) + "\n", "line 1: unknown role 'admin'"},
      {"read-only short\n", "line 1: the token is shorter than 16 characters"},
      {"read-only " + std::string(kReadOnlyToken) + "\nread-write " + kReadOnlyToken + "\n",
       "line 2: the same token as line 1"},
      {"# nothing\n\n", "holds no token"},
  };
  for (const auto& [content, message] : bad) {
    files.WriteFile("tokens", content);
    chmod(files.Path("tokens").c_str(), 0600);
    args = tls;
    args.push_back(files.Path("tokens"));
    run = RunDaemon(args);
    EXPECT_EQ(run.exit_code, 1) << run;
    EXPECT_NE(run.err.find("--token-file " + files.Path("tokens") + ": " + message),
              std::string::npos)
        << run;
    EXPECT_EQ(run.err.find(kReadOnlyToken), std::string::npos) << run;
  }
}

TEST_F(SecurityStartupTest, TlsFilesThatDoNotFitAreNamed) {
  // The daemon keeps the test's user here, so it needs a token file of its own
  // (the Pki's belongs to the user a root run drops to).
  testing::TempTree files;
  files.WriteFile("tokens", std::string("read-write ") + kReadWriteToken + "\n");
  chmod(files.Path("tokens").c_str(), 0600);
  const RunResult run =
      RunDaemon({"--listen", "127.0.0.1:0", "--token-file", files.Path("tokens"), "--tls-cert",
                 pki_.Path("server.pem"), "--tls-key", pki_.Path("client.key")});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_NE(run.err.find("--tls-key " + pki_.Path("client.key") +
                         " does not match the certificate of --tls-cert"),
            std::string::npos)
      << run;
}

// --insecure: plaintext TCP, still with tokens, and a loud warning.
class SecurityInsecureTest : public DaemonTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = {"--listen", "127.0.0.1:0", "--insecure", "--token-file",
                          pki_.Path("tokens")};
    return options;
  }
  Pki pki_;
};

TEST_F(SecurityInsecureTest, PlaintextNeedsTheTokenAndIsLoggedLoudly) {
  const std::string log = daemon_.Log();
  EXPECT_NE(log.find("warning INSECURE: --insecure: 127.0.0.1:0 is PLAINTEXT"), std::string::npos)
      << log;
  EXPECT_NE(log.find("(PLAINTEXT (--insecure), bearer tokens)"), std::string::npos) << log;
  const std::string address = TcpAddress(log);
  ASSERT_FALSE(address.empty()) << log;
  ClientOptions options{.address = address, .timeout = 10s, .max_attempts = 1};
  Client anonymous(options);
  v1::GetServerInfoResponse info;
  EXPECT_EQ(anonymous.GetServerInfo(&info).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  options.token = kReadOnlyToken;
  Client reader(options);
  EXPECT_TRUE(reader.GetServerInfo(&info).ok());
}

// --read-only refuses writes over the Unix socket too.
class SecurityReadOnlyDaemonTest : public DaemonTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = {"--read-only"};
    return options;
  }
};

TEST_F(SecurityReadOnlyDaemonTest, RefusesEveryWriteOverTheUnixSocket) {
  tree_.WriteFile("IMG_1.jpg", "jpeg");
  tree_.WriteBin("IMG_1.bin", kFaceDoc);
  tree_.WriteBin("orphan.bin", kYoloDoc);
  Share();
  const TreeListing before = ListTree(tree_.root());
  v1::SaveSidecarRequest save;
  save.set_image_path(P("IMG_1.jpg"));
  save.set_operation("yolov8");
  save.set_payload_json("{}");
  v1::SaveSidecarResponse saved;
  const grpc::Status status = client_->SaveSidecar(save, &saved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "daemon runs with --read-only: SaveSidecar would change files");
  EXPECT_EQ(Cleanup(tree_.root(), v1::CLEANUP_MODE_DELETE).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Cleanup(tree_.root(), v1::CLEANUP_MODE_QUARANTINE).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const CleanupRun dry = Cleanup(tree_.root(), v1::CLEANUP_MODE_DRY_RUN);
  EXPECT_TRUE(dry.status.ok());
  EXPECT_EQ(dry.summary.orphans_found(), 1);
  EXPECT_TRUE(Validate(tree_.root()).status.ok());
  const RunResult ctl = Ctl({"cleanup", tree_.root(), "--delete"});
  EXPECT_EQ(ctl.exit_code, 4) << ctl;
  EXPECT_NE(ctl.err.find("PERMISSION_DENIED: daemon runs with --read-only"), std::string::npos)
      << ctl;
  EXPECT_EQ(ListTree(tree_.root()), before);
}

// --health-listen: plaintext health for probes, nothing else.
class SecurityHealthListenTest : public SecurityTest {
 protected:
  std::vector<std::string> ExtraArgs() override { return {"--health-listen", "127.0.0.1:0"}; }
};

TEST_F(SecurityHealthListenTest, ServesHealthInPlaintextAndNoSidecarCalls) {
  std::smatch match;
  const std::string log = daemon_.Log();
  ASSERT_TRUE(
      std::regex_search(log, match, std::regex(R"(health checks .* on (127\.0\.0\.1:[0-9]+))")))
      << log;
  ClientOptions options{.address = match[1].str(), .timeout = 10s, .max_attempts = 1};
  options.token = kReadWriteToken;
  Client probe(options);
  HealthStatus health = grpc::health::v1::HealthCheckResponse::UNKNOWN;
  ASSERT_TRUE(probe.CheckHealth("sidecar.v1.SidecarService", &health).ok());
  EXPECT_EQ(health, grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(StatsCall(probe, tree_.root()).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

// SIGHUP re-reads the token file and --read-only (here from a config file).
class SecurityReloadTest : public DaemonTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    WriteConfig(false);
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = {"--listen", "127.0.0.1:0", "--insecure", "--config",
                          config_.Path("sidecard.conf")};
    return options;
  }

  void WriteConfig(bool read_only) {
    config_.WriteFile("sidecard.conf", "token-file=" + pki_.Path("tokens") + "\n" +
                                           (read_only ? "read-only\n" : ""));
    ShareWithDaemon(config_.root());
  }

  // SIGHUP, then waits for the daemon's `reloaded:` line number `count`.
  ::testing::AssertionResult Reload(size_t count) {
    kill(daemon_.pid(), SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string log = daemon_.Log();
      size_t seen = 0;
      for (size_t at = log.find("reload"); at != std::string::npos;
           at = log.find("reload", at + 1)) {
        if (log.compare(at, 9, "reloaded:") == 0 || log.compare(at, 13, "reload failed") == 0) {
          ++seen;
        }
      }
      if (seen >= count) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(10ms);
    }
    return ::testing::AssertionFailure() << "no reload line " << count << ":\n" << daemon_.Log();
  }

  Pki pki_;
  testing::TempTree config_;
};

TEST_F(SecurityReloadTest, RotatesTokensAndTogglesReadOnly) {
  tree_.WriteFile("IMG_1.jpg", "jpeg");
  Share();
  const std::string address = TcpAddress(daemon_.Log());
  ASSERT_FALSE(address.empty());
  const auto client_with = [&](const std::string& token) {
    return std::make_unique<Client>(
        ClientOptions{.address = address, .timeout = 10s, .max_attempts = 1, .token = token});
  };
  constexpr char kNewToken[] = "rw-rotated-5e4d3c2b1a09f8e7";
  v1::StatsRequest stats;
  stats.set_root(tree_.root());
  v1::StatsResponse response;
  ASSERT_TRUE(client_with(kReadWriteToken)->Stats(stats, &response).ok());

  // Rotate: the old read-write token goes, a new one comes.
  const std::string tokens = pki_.Path("tokens");
  {
    std::ofstream out(tokens, std::ios::trunc);
    out << "read-write " << kNewToken << "\nread-only " << kReadOnlyToken << "\n";
  }
  ASSERT_TRUE(Reload(1));
  EXPECT_NE(daemon_.Log().find("reloaded: bearer tokens 2 tokens (1 read-only, 1 read-write)"),
            std::string::npos)
      << daemon_.Log();
  EXPECT_EQ(client_with(kReadWriteToken)->Stats(stats, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(client_with(kNewToken)->Stats(stats, &response).ok());

  // A token file made readable by others is refused; the new token stays.
  chmod(tokens.c_str(), 0644);
  ASSERT_TRUE(Reload(2));
  EXPECT_NE(daemon_.Log().find("reload failed, keeping the old settings: --token-file"),
            std::string::npos);
  EXPECT_TRUE(client_with(kNewToken)->Stats(stats, &response).ok());
  chmod(tokens.c_str(), 0600);

  // read-only on: even the read-write token cannot save, over TCP or the socket.
  WriteConfig(true);
  ASSERT_TRUE(Reload(3));
  v1::SaveSidecarRequest save;
  save.set_image_path(P("IMG_1.jpg"));
  save.set_operation("yolov8");
  save.set_payload_json("{}");
  v1::SaveSidecarResponse saved;
  EXPECT_EQ(client_with(kNewToken)->SaveSidecar(save, &saved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->SaveSidecar(save, &saved).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(tree_.Exists("IMG_1.bin"));

  WriteConfig(false);
  ASSERT_TRUE(Reload(4));
  EXPECT_TRUE(client_with(kNewToken)->SaveSidecar(save, &saved).ok());
  EXPECT_TRUE(tree_.Exists("IMG_1.bin"));
}

}  // namespace
}  // namespace sidecard::testing
