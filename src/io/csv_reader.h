// CSV ingest: turns a delimited text file (plain or gzip) into a core::Dataset typed by a
// core::Schema. This is the front door for every batch of training and monitoring data, so
// it is written as a single pass over the bytes with no per-field allocation for unquoted
// fields (see bench/io/csv_reader_bench.cc and docs/BENCHMARKS.md for measured throughput).
//
// Format accepted (RFC 4180 plus the usual relaxations):
//  - the first line is the header; columns are matched to the schema by name, extra columns
//    are ignored, and a header name the schema uses may not appear twice;
//  - fields may be quoted with '"'; inside quotes "" is a literal quote and delimiters and
//    line breaks are data; an unquoted field may contain a stray '"' (kept as data);
//  - records end in LF or CRLF; the last record may lack a line break; blank lines at the
//    end of the file are ignored (a blank line in the middle is a record, usually with the
//    wrong number of fields); a leading UTF-8 byte-order mark is skipped.
//
// Error messages name the location as "SOURCE:LINE: ...", where LINE is the 1-based physical
// line of the file (the header is line 1; line breaks inside quoted fields count), and
// columns as "column 'NAME' (column N)" with N 1-based.
//
// Thread-safety: free functions with no shared state; safe to call concurrently.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"

namespace mlloop::io {

// Returns the contents of the file at `path`. When `path` ends in ".gz", or the bytes start
// with the gzip magic 1f 8b, the contents are gunzipped (concatenated gzip members are read
// one after another, as gzip(1) does).
// Fails with NotFound when the file does not exist, DataLoss when the gzip stream is corrupt
// or truncated, Unavailable for other read errors; each message names `path`.
Result<std::string> ReadFileBytes(const std::string& path);

// Values that were not of their column's type, by column name: what a lenient read found.
struct TypeViolations {
  std::map<std::string, size_t> counts;
  std::map<std::string, std::string> examples;  // the first offending value of each column
  size_t total() const;
};

struct CsvOptions {
  char delimiter = ',';
  // Raw field values that mean "no value". Compared byte for byte, after quote removal.
  std::vector<std::string> missing_values = {"", "NA", "NaN", "nan", "null", "NULL", "?"};
  // Strict by default: a feature value that is not of its type (text in a numeric column, a
  // word in a boolean one, an undeclared category) fails the read. When this points
  // somewhere, such a value is read as missing and counted here instead — what a drift
  // report wants, since a type violation is itself a finding. Labels stay strict.
  TypeViolations* bad_values_as_missing = nullptr;
};

// Parses CSV `text` into a Dataset laid out as documented in core/schema.h:
//  - x: schema features in schema order. Numeric -> float (std::from_chars); boolean
//    true/false/1/0/yes/no (any case) -> 1/0; categorical -> code (index into the schema's
//    categories when given, else order of first appearance). Missing values -> NaN.
//  - categories[j]: the dictionary of categorical feature j (empty for other types).
//  - y: binary classification -> 1 for label.positive, 0 for label.negative, anything else
//    (missing included) is an error; regression -> float, missing is an error. A schema
//    whose label has no name reads no label: y is NaN for every row.
//  - time: kRowIndex -> start + step * i; kColumn -> core::ParseTimestamp of the column.
//  - row: i, the 0-based data row.
//  - segments: one column per schema segment, codes in order of first appearance; a missing
//    value is coded as the value "".
// `source_name` is used only in error messages (normally the file path).
// Fails with InvalidArgument naming source, line and column on the first bad header, record
// or value; no partial Dataset is returned.
Result<core::Dataset> ParseCsv(std::string_view text, std::string_view source_name,
                               const core::Schema& schema, const CsvOptions& options = {});

// ReadFileBytes(path) then ParseCsv(bytes, path, schema, options).
Result<core::Dataset> ReadCsv(const std::string& path, const core::Schema& schema,
                              const CsvOptions& options = {});

// The header's column names. InvalidArgument for an empty text or a malformed header.
Result<std::vector<std::string>> ParseCsvHeader(std::string_view text, std::string_view source_name,
                                                const CsvOptions& options = {});

// A schema for a CSV that comes without one: every column a feature, numeric when every
// present value of the column parses as a number, categorical otherwise; no label; time
// from the row index (start 0, step 1). Reads the whole text.
Result<core::Schema> InferSchema(std::string_view text, std::string_view source_name,
                                 const CsvOptions& options = {});

}  // namespace mlloop::io
