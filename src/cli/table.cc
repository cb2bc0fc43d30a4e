#include "cli/table.h"

#include <algorithm>

namespace mlloop::cli {

namespace {
bool Numeric(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e';
  });
}
}  // namespace

std::string Table::Render() const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t j = 0; j < header_.size(); ++j) width[j] = header_[j].size();
  for (const auto& r : rows_) {
    for (size_t j = 0; j < r.size() && j < width.size(); ++j) width[j] = std::max(width[j], r[j].size());
  }
  std::vector<bool> right(header_.size(), true);
  for (const auto& r : rows_) {
    for (size_t j = 0; j < r.size() && j < right.size(); ++j) right[j] = right[j] && Numeric(r[j]);
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t j = 0; j < width.size(); ++j) {
      const std::string cell = j < cells.size() ? cells[j] : "";
      const std::string pad(width[j] - cell.size(), ' ');
      if (j > 0) out += "  ";
      out += right[j] ? pad + cell : cell + pad;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header_);
  size_t total = 0;
  for (size_t w : width) total += w;
  out += std::string(total + 2 * (width.size() - 1), '-') + "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

}  // namespace mlloop::cli
