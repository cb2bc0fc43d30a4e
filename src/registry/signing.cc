#include "registry/signing.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace mlloop::registry {
namespace {

constexpr std::string_view kKeyFileHeader = "mlloop-ed25519-secret-key-v1\n";

void InitSodium() {
  // Without a working CSPRNG nothing may be signed: this is a broken installation.
  if (sodium_init() < 0) std::abort();
}

std::string Hex(const unsigned char* bytes, size_t n) {
  std::vector<char> hex(2 * n + 1);
  sodium_bin2hex(hex.data(), hex.size(), bytes, n);
  return std::string(hex.data(), 2 * n);
}

// Decodes exactly `n` bytes of hex into `out`.
bool Unhex(const std::string& hex, unsigned char* out, size_t n) {
  size_t len = 0;
  return hex.size() == 2 * n &&
         sodium_hex2bin(out, n, hex.data(), hex.size(), nullptr, &len, nullptr) == 0 && len == n;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::Unavailable(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

SigningKey::SigningKey() { InitSodium(); }

SigningKey::~SigningKey() { sodium_memzero(secret_, sizeof(secret_)); }

SigningKey::SigningKey(SigningKey&& other) noexcept {
  std::memcpy(secret_, other.secret_, sizeof(secret_));
  sodium_memzero(other.secret_, sizeof(other.secret_));
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    std::memcpy(secret_, other.secret_, sizeof(secret_));
    sodium_memzero(other.secret_, sizeof(other.secret_));
  }
  return *this;
}

SigningKey SigningKey::Generate() {
  SigningKey key;
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_keypair(pk, key.secret_);
  return key;
}

Result<SigningKey> SigningKey::Load(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("signing key " + path + " does not exist");
    return Errno("reading", path);
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::FailedPrecondition("signing key " + path + " may be read by other users (mode " +
                                      mode + "); run chmod 600 on it");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("opening", path);
  std::string text(256, '\0');
  ssize_t n = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n < 0) return Errno("reading", path);
  text.resize(static_cast<size_t>(n));
  SigningKey key;
  const size_t hex_len = 2 * sizeof(key.secret_);
  if (text.size() < kKeyFileHeader.size() + hex_len ||
      text.compare(0, kKeyFileHeader.size(), kKeyFileHeader) != 0 ||
      !Unhex(text.substr(kKeyFileHeader.size(), hex_len), key.secret_, sizeof(key.secret_))) {
    return Status::FailedPrecondition(path + " is not an mlloop signing key");
  }
  return key;
}

Status SigningKey::Save(const std::string& path) const {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists("signing key " + path + " already exists");
    return Errno("creating", path);
  }
  std::string text = std::string(kKeyFileHeader) + Hex(secret_, sizeof(secret_)) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  sodium_memzero(text.data(), text.size());
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    ::unlink(path.c_str());
    return Errno("writing", path);
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

std::string SigningKey::PublicKeyHex() const {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_ed25519_sk_to_pk(pk, secret_);
  return Hex(pk, sizeof(pk));
}

std::string SigningKey::Sign(std::string_view message) const {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_);
  return Hex(sig, sizeof(sig));
}

bool VerifySignature(const std::string& public_key_hex, std::string_view message,
                     const std::string& signature_hex) {
  InitSodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sig[crypto_sign_BYTES];
  if (!Unhex(public_key_hex, pk, sizeof(pk)) || !Unhex(signature_hex, sig, sizeof(sig))) {
    return false;
  }
  return crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), pk) == 0;
}

std::string ArtifactMessage(const std::string& model, int64_t version,
                            const std::string& artifact_sha256) {
  return "mlloop-artifact-v1\n" + model + "\n" + std::to_string(version) + "\n" + artifact_sha256;
}

std::string AuditHeadMessage(int64_t entries, int64_t last_id, const std::string& last_hash) {
  return "mlloop-audit-head-v1\n" + std::to_string(entries) + "\n" + std::to_string(last_id) +
         "\n" + last_hash;
}

}  // namespace mlloop::registry
