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
#include <vector>

#include "core/status.h"

namespace mlloop::store {

// One stored blob, as listed for garbage collection and disk usage.
struct BlobInfo {
  std::string sha256;
  uint64_t bytes = 0;
  int64_t modified = 0;  // Unix seconds
};

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

  // Every stored blob, by name. Partial writes in progress are not blobs.
  virtual Result<std::vector<BlobInfo>> List() = 0;
  // Deletes the blob; OK when it is already absent. InvalidArgument for a bad name.
  virtual Status Remove(const std::string& sha256) = 0;
  // Removes what a Put() interrupted by a crash left behind, if it is older than `before`
  // (Unix seconds; younger ones may belong to a Put in progress in another process), and
  // returns how many bytes that freed.
  virtual Result<uint64_t> RemoveStaleTemporaries(int64_t before) = 0;
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
  Result<std::vector<BlobInfo>> List() override;
  Status Remove(const std::string& sha256) override;
  Result<uint64_t> RemoveStaleTemporaries(int64_t before) override;

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
  Result<std::vector<BlobInfo>> List() override;
  Status Remove(const std::string& sha256) override;
  Result<uint64_t> RemoveStaleTemporaries(int64_t) override { return uint64_t{0}; }

 private:
  std::map<std::string, std::string> blobs_;
};

}  // namespace mlloop::store
