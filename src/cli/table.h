// A plain-text table with aligned columns, for human output of the CLI.
#pragma once

#include <string>
#include <vector>

namespace mlloop::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Text columns left-aligned, numeric-looking ones right-aligned, a rule under the header.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace mlloop::cli
