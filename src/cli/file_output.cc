#include <cstdio>
#include <fstream>

#include "cli/commands.h"

namespace mlloop::cli {

Status WriteFileAtomically(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status::Unavailable("cannot write " + tmp);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!f.good()) return Status::Unavailable("writing " + tmp + " failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Unavailable("cannot rename " + tmp + " to " + path);
  }
  return Status::Ok();
}

}  // namespace mlloop::cli
