// Helpers shared by the test binaries: paths to shipped data, scratch directories, files.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mlloop::testutil {

// Absolute path of a file in the source tree, e.g. SourcePath("examples/elec2/model.yaml").
std::string SourcePath(std::string_view relative);

// A fresh directory under the system temp dir, removed (recursively) by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Path of `name` inside the directory (not created).
  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void WriteFile(const std::string& path, std::string_view contents);

// How many times `needle` occurs in `haystack`, without overlaps.
size_t CountOccurrences(std::string_view haystack, std::string_view needle);

// The built `mlloop` binary run as a user runs it, with stdout and stderr together.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunMlloop(const std::string& args);
std::string ReadFile(const std::string& path);

}  // namespace mlloop::testutil
