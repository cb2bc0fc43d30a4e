// Ed25519 signatures (libsodium) for a store: its artifacts and its audit head.
//
// Each store has one key pair. The secret key lives in a file beside the database
// (<dir>/signing.key, mode 0600, 64 bytes as libsodium stores an Ed25519 secret key: seed
// and public key); the public key is recorded in the database and in the audit log. The
// registry signs, with domain-separated messages,
//   "mlloop-artifact-v1\n" model "\n" version "\n" artifact_sha256   for every version, and
//   "mlloop-audit-head-v1\n" entries "\n" last_id "\n" last_hash      for the audit head,
// so a version row cannot borrow another version's signed artifact, and the log cannot be
// cut short with a matching head, by anyone who can write the database and the artifact
// files but cannot read the key file.
//
// Thread-safety: a SigningKey is immutable after construction; functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mlloop::registry {

class SigningKey {
 public:
  // A new random key pair.
  static SigningKey Generate();
  // Reads a key file written by Save(). NotFound when absent; FailedPrecondition when
  // other users may read it (mode & 077) or it is not a key file.
  static Result<SigningKey> Load(const std::string& path);

  ~SigningKey();
  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  // Writes the secret key to `path` with mode 0600: created exclusively (AlreadyExists
  // when the file exists), fsynced, then the directory fsynced.
  Status Save(const std::string& path) const;

  // 64 lower-case hex digits.
  std::string PublicKeyHex() const;
  // The detached signature of `message`, 128 lower-case hex digits.
  std::string Sign(std::string_view message) const;

 private:
  SigningKey();
  unsigned char secret_[64];  // wiped by the destructor
};

// Whether `signature_hex` is `public_key_hex`'s valid signature of `message`; false for
// malformed hex too.
bool VerifySignature(const std::string& public_key_hex, std::string_view message,
                     const std::string& signature_hex);

// The signed messages described above.
std::string ArtifactMessage(const std::string& model, int64_t version,
                            const std::string& artifact_sha256);
std::string AuditHeadMessage(int64_t entries, int64_t last_id, const std::string& last_hash);

}  // namespace mlloop::registry
