#include "server/daemon/network_credentials.h"

#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>
#include <string>

namespace sidecard::daemon {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("--" + flag + " " + path + ": cannot read it");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct BioCloser {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioCloser>;

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Parses the first certificate of `cert_pem` and the key, and checks they
// belong together. Certificates of `ca_pem`, when given, must parse too.
absl::Status CheckPem(const DaemonOptions& options, const std::string& cert_pem,
                      const std::string& key_pem, const std::string& ca_pem) {
  Bio cert_bio = MemoryBio(cert_pem);
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  Bio key_bio = MemoryBio(key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  absl::Status status;
  if (cert == nullptr) {
    status =
        absl::InvalidArgumentError("--tls-cert " + options.tls_cert + ": not a PEM certificate");
  } else if (key == nullptr) {
    status = absl::InvalidArgumentError("--tls-key " + options.tls_key +
                                        ": not a PEM private key (or it is encrypted)");
  } else if (X509_check_private_key(cert, key) != 1) {
    status = absl::InvalidArgumentError("--tls-key " + options.tls_key +
                                        " does not match the certificate of --tls-cert " +
                                        options.tls_cert);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  if (status.ok() && !ca_pem.empty()) {
    Bio ca_bio = MemoryBio(ca_pem);
    X509* ca = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr);
    if (ca == nullptr) {
      status = absl::InvalidArgumentError("--tls-client-ca " + options.tls_client_ca +
                                          ": not a PEM certificate");
    }
    X509_free(ca);
  }
  ERR_clear_error();
  return status;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> NetworkCredentials(
    const DaemonOptions& options) {
  if (options.tls_cert.empty()) return grpc::InsecureServerCredentials();
  auto cert = ReadPem("tls-cert", options.tls_cert);
  if (!cert.ok()) return cert.status();
  auto key = ReadPem("tls-key", options.tls_key);
  if (!key.ok()) return key.status();
  std::string client_ca;
  if (!options.tls_client_ca.empty()) {
    auto ca = ReadPem("tls-client-ca", options.tls_client_ca);
    if (!ca.ok()) return ca.status();
    client_ca = *std::move(ca);
  }
  if (auto checked = CheckPem(options, *cert, *key, client_ca); !checked.ok()) return checked;

  grpc::SslServerCredentialsOptions ssl(
      client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                        : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = client_ca;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace sidecard::daemon
