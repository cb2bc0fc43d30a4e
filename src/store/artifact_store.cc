#include "store/artifact_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/hash.h"

namespace mlloop::store {
namespace fs = std::filesystem;
namespace {

Status IoError(const std::string& what, const std::string& path, int err) {
  // ENOSPC, EIO and friends are conditions the caller may retry later.
  return Status::Unavailable(what + " " + path + ": " + std::strerror(err));
}

Status CheckName(const std::string& sha256) {
  if (IsSha256Hex(sha256)) return Status::Ok();
  return Status::InvalidArgument("'" + sha256 +
                                 "' is not an artifact name (64 lower-case hex digits)");
}

Status CorruptionCheck(const std::string& sha256, std::string_view bytes) {
  std::string actual = core::Sha256Hex(bytes);
  if (actual == sha256) return Status::Ok();
  return Status::DataLoss("artifact " + sha256 + " is corrupt: content hash is " + actual);
}

Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return IoError("opening", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("syncing", path, err);
  return Status::Ok();
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("writing", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Writes `bytes` to `final_path` atomically: temp file in the same directory, fsync,
// rename, fsync of the directory. The temp file is removed on any failure.
Status WriteAtomically(const std::string& dir, const std::string& final_path,
                       std::string_view bytes) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp =
      dir + "/.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("creating", tmp, errno);
  Status s = WriteAll(fd, bytes, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = IoError("syncing", tmp, errno);
  if (::close(fd) != 0 && s.ok()) s = IoError("closing", tmp, errno);
  if (s.ok() && ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    s = IoError("renaming " + tmp + " to", final_path, errno);
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> Sha256OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Status::NotFound("file " + path + " does not exist");
    return IoError("opening", path, errno);
  }
  core::Sha256 sha;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    sha.Update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return IoError("reading", path, errno);
  return sha.HexDigest();
}

// -------------------------------------------------------------------- FileArtifactStore

Result<std::unique_ptr<FileArtifactStore>> FileArtifactStore::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("creating artifact directory " + dir + ": " + ec.message());
  if (!fs::is_directory(dir, ec)) {
    return Status::InvalidArgument("artifact store " + dir + " is not a directory");
  }
  return std::unique_ptr<FileArtifactStore>(new FileArtifactStore(dir));
}

std::string FileArtifactStore::PathFor(const std::string& sha256) const {
  return dir_ + "/" + sha256.substr(0, 2) + "/" + sha256;
}

Result<std::string> FileArtifactStore::Put(std::string_view bytes) {
  std::string sha = core::Sha256Hex(bytes);
  std::string path = PathFor(sha);
  std::error_code ec;
  // Same name and same size: the content is already there (a truncated or torn file from
  // some outside accident has a different size and is rewritten).
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == bytes.size() && !ec) {
    return sha;
  }
  std::string subdir = dir_ + "/" + sha.substr(0, 2);
  if (fs::create_directory(subdir, ec)) {
    // A new directory entry in dir_ must reach the disk too before the blob is durable.
    MLLOOP_RETURN_IF_ERROR(FsyncPath(dir_, O_RDONLY | O_DIRECTORY));
  } else if (ec) {
    return Status::Unavailable("creating " + subdir + ": " + ec.message());
  }
  MLLOOP_RETURN_IF_ERROR(WriteAtomically(subdir, path, bytes));
  return sha;
}

Result<std::string> FileArtifactStore::Get(const std::string& sha256) {
  MLLOOP_RETURN_IF_ERROR(CheckName(sha256));
  std::string path = PathFor(sha256);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec))
      return Status::NotFound("artifact " + sha256 + " not found in " + dir_);
    return IoError("reading", path, errno);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return IoError("reading", path, errno);
  std::string bytes = std::move(buffer).str();
  MLLOOP_RETURN_IF_ERROR(CorruptionCheck(sha256, bytes));
  return bytes;
}

bool FileArtifactStore::Contains(const std::string& sha256) {
  if (!IsSha256Hex(sha256)) return false;
  std::error_code ec;
  return fs::is_regular_file(PathFor(sha256), ec);
}

Result<std::vector<BlobInfo>> FileArtifactStore::List() {
  std::vector<BlobInfo> out;
  std::error_code ec;
  for (const auto& sub : fs::directory_iterator(dir_, ec)) {
    if (!sub.is_directory(ec)) continue;
    for (const auto& file : fs::directory_iterator(sub.path(), ec)) {
      const std::string name = file.path().filename().string();
      if (!IsSha256Hex(name) || !file.is_regular_file(ec)) continue;
      struct stat st;
      if (::stat(file.path().c_str(), &st) != 0) continue;  // removed meanwhile
      out.push_back({name, static_cast<uint64_t>(st.st_size), static_cast<int64_t>(st.st_mtime)});
    }
    if (ec) return Status::Unavailable("listing " + sub.path().string() + ": " + ec.message());
  }
  if (ec) return Status::Unavailable("listing " + dir_ + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const BlobInfo& a, const BlobInfo& b) { return a.sha256 < b.sha256; });
  return out;
}

Status FileArtifactStore::Remove(const std::string& sha256) {
  MLLOOP_RETURN_IF_ERROR(CheckName(sha256));
  const std::string path = PathFor(sha256);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("removing", path, errno);
  return Status::Ok();
}

Result<uint64_t> FileArtifactStore::RemoveStaleTemporaries(int64_t before) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& sub : fs::directory_iterator(dir_, ec)) {
    if (!sub.is_directory(ec)) continue;
    for (const auto& file : fs::directory_iterator(sub.path(), ec)) {
      if (file.path().filename().string().rfind(".tmp-", 0) != 0) continue;
      struct stat st;
      if (::stat(file.path().c_str(), &st) != 0 || st.st_mtime >= before) continue;
      if (::unlink(file.path().c_str()) == 0) bytes += static_cast<uint64_t>(st.st_size);
    }
  }
  if (ec) return Status::Unavailable("listing " + dir_ + ": " + ec.message());
  return bytes;
}

// ------------------------------------------------------------------ MemoryArtifactStore

Result<std::string> MemoryArtifactStore::Put(std::string_view bytes) {
  std::string sha = core::Sha256Hex(bytes);
  blobs_.try_emplace(sha, bytes);
  return sha;
}

Result<std::string> MemoryArtifactStore::Get(const std::string& sha256) {
  MLLOOP_RETURN_IF_ERROR(CheckName(sha256));
  auto it = blobs_.find(sha256);
  if (it == blobs_.end()) return Status::NotFound("artifact " + sha256 + " not found in memory");
  MLLOOP_RETURN_IF_ERROR(CorruptionCheck(sha256, it->second));
  return it->second;
}

bool MemoryArtifactStore::Contains(const std::string& sha256) { return blobs_.contains(sha256); }

Result<std::vector<BlobInfo>> MemoryArtifactStore::List() {
  std::vector<BlobInfo> out;
  for (const auto& [sha, bytes] : blobs_) out.push_back({sha, bytes.size(), 0});
  return out;
}

Status MemoryArtifactStore::Remove(const std::string& sha256) {
  MLLOOP_RETURN_IF_ERROR(CheckName(sha256));
  blobs_.erase(sha256);
  return Status::Ok();
}

}  // namespace mlloop::store
