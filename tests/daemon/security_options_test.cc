// The security flags and the token file, below the daemon: what parses, what
// a TCP listener needs, how the token file is read and looked up, and which
// changes a reload applies. The daemon itself is tested in
// tests/integration/security_test.cc.
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "server/daemon/daemon_options.h"
#include "server/daemon/reload.h"
#include "server/daemon/token_file.h"
#include "support/temp_tree.h"

namespace sidecard {
namespace {

using service::Role;

absl::StatusOr<DaemonOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), {"--allowed-root", "/srv/photos"});
  return ParseDaemonOptions(args);
}

std::string ErrorOf(const absl::StatusOr<DaemonOptions>& options) {
  return options.ok() ? "parsed" : std::string(options.status().message());
}

TEST(SecurityOptions, SwitchesTakeNoValueOrAnExplicitOne) {
  auto options = Parse({"--read-only", "--listen", "unix:/tmp/s.sock"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->read_only);
  EXPECT_FALSE(options->insecure);
  EXPECT_EQ(options->listen, std::vector<std::string>{"unix:/tmp/s.sock"});
  options = Parse({"--read-only=false", "--insecure=yes"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->read_only);
  EXPECT_TRUE(options->insecure);
  EXPECT_EQ(ErrorOf(Parse({"--read-only=maybe"})), "--read-only: 'maybe' is not true or false");

  testing::TempTree dir;
  dir.WriteFile("sidecard.conf", "read-only\ninsecure=true\n");
  options = Parse({"--config", dir.Path("sidecard.conf")});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->read_only);
  EXPECT_TRUE(options->insecure);
}

TEST(SecurityOptions, ATcpListenerNeedsTlsOrInsecureAndATokenFile) {
  EXPECT_TRUE(Parse({}).ok());  // the default Unix socket needs neither
  EXPECT_NE(ErrorOf(Parse({"--listen", "0.0.0.0:50051", "--token-file", "/t"}))
                .find("--listen 0.0.0.0:50051: a network listener needs TLS"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Parse({"--listen", "0.0.0.0:50051", "--insecure"}))
                .find("a network listener needs --token-file"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Parse({"--listen", "0.0.0.0:50051", "--tls-cert", "/c", "--tls-key", "/k"}))
                .find("a network listener needs --token-file"),
            std::string::npos);
  EXPECT_TRUE(Parse({"--listen", "0.0.0.0:50051", "--insecure", "--token-file", "/t"}).ok());
  EXPECT_TRUE(Parse({"--listen", "[::]:50051", "--tls-cert", "/c", "--tls-key", "/k",
                     "--token-file", "/t", "--tls-client-ca", "/ca"})
                  .ok());
  // An abstract socket has no file permissions: it counts as a network listener.
  EXPECT_NE(ErrorOf(Parse({"--listen", "unix-abstract:sidecard"})).find("needs TLS"),
            std::string::npos);
}

TEST(SecurityOptions, TlsFlagsGoTogether) {
  EXPECT_EQ(ErrorOf(Parse({"--tls-cert", "/c"})),
            "--tls-cert and --tls-key go together: give both or neither");
  EXPECT_EQ(ErrorOf(Parse({"--tls-key", "/k"})),
            "--tls-cert and --tls-key go together: give both or neither");
  EXPECT_NE(ErrorOf(Parse({"--tls-client-ca", "/ca"})).find("--tls-client-ca needs --tls-cert"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(Parse({"--token-file="})), "--token-file: a file is required");
  EXPECT_NE(ErrorOf(Parse({"--health-listen", "nowhere"})).find("is not HOST:PORT"),
            std::string::npos);
}

TEST(TokenFile, ReadsRolesSkipsCommentsAndFindsEveryToken) {
  testing::TempTree dir;
  dir.WriteFile("tokens",
                "# pipeline\n"
                "read-write  aaaaaaaaaaaaaaaa-writer \n"
                "\n"
                "   # laptop\n"
                "read-only\tbbbbbbbbbbbbbbbb-reader\r\n"
                "read-only cccccccccccccccc-other\n");
  chmod(dir.Path("tokens").c_str(), 0600);
  const auto tokens = daemon::ReadTokenFile(dir.Path("tokens"));
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(daemon::DescribeTokens(*tokens), "3 tokens (2 read-only, 1 read-write)");
  EXPECT_EQ(tokens->Find("aaaaaaaaaaaaaaaa-writer"), Role::kReadWrite);
  EXPECT_EQ(tokens->Find("bbbbbbbbbbbbbbbb-reader"), Role::kReadOnly);
  EXPECT_EQ(tokens->Find("cccccccccccccccc-other"), Role::kReadOnly);
  for (const char* wrong : {"", "aaaaaaaaaaaaaaaa-write", "aaaaaaaaaaaaaaaa-writer ",
                            "AAAAAAAAAAAAAAAA-WRITER", "read-write aaaaaaaaaaaaaaaa-writer"}) {
    EXPECT_EQ(tokens->Find(wrong), std::nullopt) << wrong;
  }
  EXPECT_EQ(service::TokenTable().Find("aaaaaaaaaaaaaaaa-writer"), std::nullopt);
}

TEST(TokenFile, RefusesFilesOthersMayAccess) {
  testing::TempTree dir;
  dir.WriteFile("tokens", "read-only bbbbbbbbbbbbbbbb-reader\n");
  for (const mode_t mode : {0640, 0604, 0620, 0602}) {
    chmod(dir.Path("tokens").c_str(), mode);
    const auto tokens = daemon::ReadTokenFile(dir.Path("tokens"));
    ASSERT_FALSE(tokens.ok()) << std::oct << mode;
    EXPECT_NE(tokens.status().message().find("lets group or others access the tokens"),
              std::string::npos)
        << tokens.status();
  }
  chmod(dir.Path("tokens").c_str(), 0400);
  EXPECT_TRUE(daemon::ReadTokenFile(dir.Path("tokens")).ok());
  const auto missing = daemon::ReadTokenFile(dir.Path("absent"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--token-file " + dir.Path("absent") + ": cannot open"),
            std::string::npos);
}

TEST(TokenFile, RefusesAFileAnotherUserOwns) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the token file to another user";
  testing::TempTree dir;
  dir.WriteFile("tokens", "read-only bbbbbbbbbbbbbbbb-reader\n");
  chmod(dir.Path("tokens").c_str(), 0600);
  ASSERT_EQ(chown(dir.Path("tokens").c_str(), 65534, 65534), 0);
  const auto tokens = daemon::ReadTokenFile(dir.Path("tokens"));
  ASSERT_FALSE(tokens.ok());
  const std::string message(tokens.status().message());
  EXPECT_EQ(message.rfind("--token-file " + dir.Path("tokens") + ": owned by ", 0), 0u) << message;
  EXPECT_NE(message.find("uid 65534"), std::string::npos) << message;
  EXPECT_NE(message.find(", not by root (uid 0), the user sidecard runs as; chown it to that user"),
            std::string::npos)
      << message;
  ASSERT_EQ(chown(dir.Path("tokens").c_str(), 0, 0), 0);
  EXPECT_TRUE(daemon::ReadTokenFile(dir.Path("tokens")).ok());
}

TEST(SecurityReload, FlagsThatNeedARestart) {
  DaemonOptions running;
  DaemonOptions wanted;
  wanted.tls_cert = "/c";
  wanted.tls_key = "/k";
  wanted.tls_client_ca = "/ca";
  wanted.insecure = true;
  wanted.health_listen = "127.0.0.1:1";
  wanted.read_only = true;   // applied by the reload
  wanted.token_file = "/t";  // re-read by the reload
  EXPECT_EQ(daemon::FlagsNeedingRestart(running, wanted),
            (std::vector<std::string>{"tls-cert", "tls-key", "tls-client-ca", "insecure",
                                      "health-listen"}));
}

}  // namespace
}  // namespace sidecard
