// SHA-256 through OpenSSL's EVP interface: content addresses for artifacts and data
// snapshots, and configuration hashes for lineage. FNV-1a for checksums of saved state.
//
// Thread-safety: a Sha256 instance belongs to one thread; the free function is reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mlloop::core {

// Incremental SHA-256. Update() any number of times, then HexDigest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Lower-case hex of the 32-byte digest. REQUIRES: called once.
  std::string HexDigest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string Sha256Hex(std::string_view data);

// 64-bit FNV-1a: a fast, non-cryptographic hash for checksums of saved state (a flipped bit
// becomes DataLoss rather than a silently different object) and as the base of sketch hashes.
inline uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace mlloop::core
