// Content-addressed blob storage for model artifacts: a blob's name is the SHA-256 of its
// bytes, so a name can never point at different content, storing the same bytes twice
// costs nothing, and corruption is detected on every read.
//
// Thread-safety: FileArtifactStore may be shared between threads and processes (writes
// are atomic renames of private temporary files); MemoryArtifactStore belongs to one
// thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mlloop::store {

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;

  // Stores `bytes` and returns their lower-case hex SHA-256. Storing content that is
  // already present is a no-op. Nothing partial is ever visible under the returned name.
  virtual Result<std::string> Put(std::string_view bytes) = 0;

  // The bytes stored under `sha256`. NotFound when absent; DataLoss
  // "artifact <sha> is corrupt: content hash is <other>" when the stored bytes no longer
  // hash to their name; InvalidArgument when `sha256` is not 64 lower-case hex digits.
  virtual Result<std::string> Get(const std::string& sha256) = 0;

  // Whether a blob is stored under `sha256` (without verifying it).
  virtual bool Contains(const std::string& sha256) = 0;
};

// True for 64 lower-case hex digits.
bool IsSha256Hex(std::string_view s);

// Lower-case hex SHA-256 of the file at `path`, read in chunks. NotFound when it does not
// exist; Unavailable when it cannot be read.
Result<std::string> Sha256OfFile(const std::string& path);

// Blobs as files <dir>/<first two hex digits>/<sha256>. Put writes a temporary file in the
// same directory, fsyncs it, renames it into place and fsyncs the directory, so after a
// crash a blob is either complete or absent.
class FileArtifactStore final : public ArtifactStore {
 public:
  // Creates `dir` (and parents) when missing.
  static Result<std::unique_ptr<FileArtifactStore>> Open(const std::string& dir);

  Result<std::string> Put(std::string_view bytes) override;
  Result<std::string> Get(const std::string& sha256) override;
  bool Contains(const std::string& sha256) override;

  // Where the blob for `sha256` lives (whether or not it exists).
  std::string PathFor(const std::string& sha256) const;
  const std::string& dir() const { return dir_; }

 private:
  explicit FileArtifactStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

// Blobs in a map, for in-memory registries and tests.
class MemoryArtifactStore final : public ArtifactStore {
 public:
  Result<std::string> Put(std::string_view bytes) override;
  Result<std::string> Get(const std::string& sha256) override;
  bool Contains(const std::string& sha256) override;

 private:
  std::map<std::string, std::string> blobs_;
};

}  // namespace mlloop::store
