#include "io/csv_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "core/time.h"

namespace mlloop::io {
namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

// ----------------------------------------------------------------------------------------
// Reading files.

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

Result<std::string> ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::Unavailable("cannot open " + path + ": " + ErrnoText(err));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return Status::Unavailable("cannot stat " + path + ": " + ErrnoText(errno));
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + ": is a directory, not a file");

  // One byte more than the size we know of, so reaching end-of-file needs no extra resize;
  // pipes and files that grow while we read fall back to doubling.
  std::string bytes;
  bytes.resize(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : size_t{1} << 16);
  size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    const ssize_t n = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Unavailable("cannot read " + path + ": " + ErrnoText(errno));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  bytes.resize(used);
  return bytes;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool HasGzipMagic(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> Gunzip(std::string_view in, const std::string& path) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect a gzip (not zlib) header and check the gzip trailer's CRC.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return Status::Internal("zlib inflateInit2 failed for " + path);
  }
  struct InflateEnder {
    z_stream* zs;
    ~InflateEnder() { inflateEnd(zs); }
  } ender{&zs};

  // The trailer's ISIZE (uncompressed size mod 2^32 of the last member) is a good first guess
  // of the output size; a wrong guess only costs a reallocation.
  size_t guess = in.size() * 4;
  if (in.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
    const size_t isize = size_t{t[0]} | size_t{t[1]} << 8 | size_t{t[2]} << 16 | size_t{t[3]} << 24;
    if (isize >= in.size()) guess = isize;
  }
  std::string out;
  out.resize(std::max<size_t>(guess, 4096));
  size_t produced = 0;
  size_t fed = 0;  // bytes of `in` handed to zlib so far (avail_in is 32-bit)

  for (;;) {
    if (zs.avail_in == 0 && fed < in.size()) {
      const size_t chunk = std::min<size_t>(in.size() - fed, UINT_MAX);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + fed));
      zs.avail_in = static_cast<uInt>(chunk);
      fed += chunk;
    }
    if (produced == out.size()) out.resize(out.size() * 2);
    const size_t room = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // `gzip -c a b > ab.gz` yields several members; gzip(1) reads them all, and so do we.
      if (zs.avail_in == 0 && fed == in.size()) break;
      if (inflateReset(&zs) != Z_OK)
        return Status::Internal("zlib inflateReset failed for " + path);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && fed == in.size()) {
      return Status::DataLoss(path + ": truncated gzip data (the stream ends before its trailer)");
    }
    if (rc == Z_BUF_ERROR) continue;
    return Status::DataLoss(
        path + ": corrupt gzip data: " +
        (zs.msg != nullptr ? std::string(zs.msg) : "inflate error " + std::to_string(rc)));
  }
  out.resize(produced);
  return out;
}

// ----------------------------------------------------------------------------------------
// Field scanning.

// Position in the text plus the 1-based physical line of that position.
struct Cursor {
  const char* p;
  const char* end;
  int64_t line;
};

enum class FieldEnd { kDelimiter, kRecordEnd, kUnterminatedQuote, kJunkAfterQuote };

// Bytes that end the fast scan of an unquoted field. A 256-entry table keeps the inner loop
// to one load and one branch per byte.
struct Scanner {
  char delimiter;
  std::array<bool, 256> stop{};
  explicit Scanner(char delim) : delimiter(delim) {
    for (char c : {delim, '\n', '\r', '"'}) stop[static_cast<unsigned char>(c)] = true;
  }
};

// Consumes the delimiter or record terminator at `p` (or nothing at end of text).
inline FieldEnd Terminate(Cursor& c, const char* p, char delimiter) {
  if (p == c.end) {
    c.p = p;
    return FieldEnd::kRecordEnd;
  }
  if (*p == delimiter) {
    c.p = p + 1;
    return FieldEnd::kDelimiter;
  }
  if (*p == '\r') ++p;  // callers only stop at a '\r' that is followed by '\n' or the end
  if (p != c.end) ++p;  // the '\n'
  ++c.line;
  c.p = p;
  return FieldEnd::kRecordEnd;
}

// True when `p` is where a field may end: the delimiter, a line break, or the end of text.
inline bool AtFieldEnd(const char* p, const char* end, char delimiter) {
  return p == end || *p == delimiter || *p == '\n' ||
         (*p == '\r' && (p + 1 == end || p[1] == '\n'));
}

struct QuotedSpan {
  const char* after;  // just past the closing quote; nullptr when the quote is never closed
  int64_t newlines;   // line breaks inside the quotes: data, but still physical lines
};

// Unescapes the quoted field whose opening quote is at `p` into `scratch`. Out of line so the
// unquoted path stays small enough to inline into the record loop; it takes no Cursor so
// the loop's cursor never has its address taken and can live in registers.
[[gnu::noinline]] QuotedSpan ReadQuoted(const char* p, const char* end, std::string& scratch) {
  ++p;  // opening quote
  scratch.clear();
  int64_t newlines = 0;
  for (;;) {
    const auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
    if (q == nullptr) return {nullptr, newlines};
    newlines += std::count(p, q, '\n');
    scratch.append(p, q);
    p = q + 1;
    if (p == end || *p != '"') return {p, newlines};
    scratch.push_back('"');  // "" is an escaped quote
    ++p;
  }
}

// Reads the field at c.p into *field and consumes the delimiter or record terminator after
// it. *field views the input, or `scratch` for quoted fields.
[[gnu::always_inline]] inline FieldEnd ReadField(Cursor& c, const Scanner& s, std::string& scratch,
                                                 std::string_view* field) {
  const char* p = c.p;
  const char* const end = c.end;
  if (p != end && *p == '"') {
    const QuotedSpan q = ReadQuoted(p, end, scratch);
    if (q.after == nullptr) return FieldEnd::kUnterminatedQuote;
    c.line += q.newlines;
    *field = scratch;
    if (!AtFieldEnd(q.after, end, s.delimiter)) {
      c.p = q.after;
      return FieldEnd::kJunkAfterQuote;
    }
    return Terminate(c, q.after, s.delimiter);
  }
  const char* const start = p;
  for (;;) {
    while (p != end && !s.stop[static_cast<unsigned char>(*p)]) ++p;
    if (AtFieldEnd(p, end, s.delimiter)) break;
    ++p;  // a lone '\r' or a stray '"' inside an unquoted field is data, as in Python's csv
  }
  *field = std::string_view(start, static_cast<size_t>(p - start));
  return Terminate(c, p, s.delimiter);
}

// ----------------------------------------------------------------------------------------
// Value conversion.

// Values listed in CsvOptions::missing_values. Most fields are rejected by the length and
// first-byte checks, so numbers pay almost nothing for the lookup.
class MissingSet {
 public:
  explicit MissingSet(const std::vector<std::string>& values) : values_(values) {
    for (const auto& v : values_) {
      if (v.empty()) {
        empty_is_missing_ = true;
        continue;
      }
      first_byte_[static_cast<unsigned char>(v[0])] = true;
      max_size_ = std::max(max_size_, v.size());
    }
  }
  bool Contains(std::string_view f) const {
    if (f.empty()) return empty_is_missing_;
    if (f.size() > max_size_ || !first_byte_[static_cast<unsigned char>(f[0])]) return false;
    return std::find(values_.begin(), values_.end(), f) != values_.end();
  }

 private:
  std::vector<std::string> values_;
  std::array<bool, 256> first_byte_{};
  size_t max_size_ = 0;
  bool empty_is_missing_ = false;
};

// Parses the whole of [b, e) as a float with from_chars: locale-independent and correctly
// rounded (libstdc++ 12 builds it on fast_float). The general path behind ParseFloat.
[[gnu::noinline]] bool ParseFloatSlow(const char* b, const char* e, float* out) {
  if (b != e && *b == '+' && b + 1 != e && b[1] != '-') ++b;  // spreadsheets write "+1.5"
  if (b == e) return false;
  auto [ptr, ec] = std::from_chars(b, e, *out);
  if (ec == std::errc() && ptr == e) return true;
  if (ec != std::errc::result_out_of_range) return false;
  // Out of float range ("1e-50", "1e40"): round through double, as strtof would.
  double d = 0;
  auto [dptr, dec] = std::from_chars(b, e, d);
  if (dec != std::errc() || dptr != e) return false;
  *out = static_cast<float>(d);
  return true;
}

// Clinger's fast path (W. D. Clinger, "How to read floating point numbers accurately", PLDI
// 1990): for a plain decimal "[-]digits[.digits]" whose digits form an integer w <= 2^24 with
// at most 10 after the point, w and 10^k are exact floats and one IEEE division rounds
// correctly, so the result is bit-identical to from_chars. Typical ML CSVs (Elec2: 6
// decimals) always take it; anything else (exponents, long mantissas, "inf") falls back.
inline bool ParseFloat(std::string_view f, float* out) {
  static constexpr float kPow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                     1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
  const char* p = f.data();
  const char* const e = p + f.size();
  const bool negative = p != e && *p == '-';
  p += negative;
  const char* const digits_start = p;
  uint64_t w = 0;
  while (p != e && static_cast<unsigned>(*p - '0') <= 9)
    w = w * 10 + static_cast<unsigned>(*p++ - '0');
  const char* const int_end = p;
  size_t frac_digits = 0;
  if (p != e && *p == '.') {
    const char* const frac_start = ++p;
    while (p != e && static_cast<unsigned>(*p - '0') <= 9)
      w = w * 10 + static_cast<unsigned>(*p++ - '0');
    frac_digits = static_cast<size_t>(p - frac_start);
  }
  const size_t n_digits = static_cast<size_t>(int_end - digits_start) + frac_digits;
  // n_digits <= 19 keeps w from having overflowed; "." alone and "-" alone are not numbers.
  if (p == e && n_digits > 0 && n_digits <= 19 && w <= (uint64_t{1} << 24) && frac_digits <= 10) {
    const float v = static_cast<float>(w) / kPow10[frac_digits];
    *out = negative ? -v : v;
    return true;
  }
  return ParseFloatSlow(f.data(), e, out);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char ch = a[i];
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (ch != lower[i]) return false;
  }
  return true;
}

// 1 / 0 for the accepted spellings, -1 otherwise.
int ParseBool(std::string_view f) {
  if (f == "1" || EqualsIgnoreCase(f, "true") || EqualsIgnoreCase(f, "yes")) return 1;
  if (f == "0" || EqualsIgnoreCase(f, "false") || EqualsIgnoreCase(f, "no")) return 0;
  return -1;
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using CodeMap = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

// Value -> code. Open dictionaries add unseen values; closed ones (declared categories) refuse.
struct Dictionary {
  CodeMap codes;
  std::vector<std::string>* values = nullptr;  // code -> value, owned by the output Dataset
  bool closed = false;

  // The code of `v`, or -1 when the dictionary is closed and does not hold it.
  int64_t Code(std::string_view v) {
    if (auto it = codes.find(v); it != codes.end()) return it->second;
    if (closed) return -1;
    const auto code = static_cast<uint32_t>(values->size());
    codes.emplace(std::string(v), code);
    values->emplace_back(v);
    return code;
  }
};

std::string Quoted(std::string_view v) {
  // Long values are cut so one bad field cannot flood a log line.
  constexpr size_t kMax = 60;
  if (v.size() <= kMax) return "'" + std::string(v) + "'";
  return "'" + std::string(v.substr(0, kMax)) + "...' (" + std::to_string(v.size()) + " bytes)";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

// ----------------------------------------------------------------------------------------
// The parser.

// What to do with one field. A column may carry several actions (a segment that is also a
// feature); actions are sorted by column so a record is one forward walk over them.
struct Action {
  enum class Kind {
    kNumeric,
    kBoolean,
    kCategorical,
    kBinaryLabel,
    kRegressionLabel,
    kTimestamp,
    kTimestampOffset,
    kSegment,
  };
  size_t column;
  Kind kind;
  size_t index;                // feature index, or segment index for kSegment
  Dictionary* dict = nullptr;  // kCategorical and kSegment
};

class CsvParser {
 public:
  CsvParser(std::string_view text, std::string_view source, const core::Schema& schema,
            const CsvOptions& options)
      : text_(text),
        source_(source),
        schema_(schema),
        scanner_(options.delimiter),
        missing_(options.missing_values),
        violations_(options.bad_values_as_missing) {}

  // Reads only the header line.
  Result<std::vector<std::string>> Header() {
    Cursor c{text_.data(), text_.data() + text_.size(), 1};
    MLLOOP_RETURN_IF_ERROR(StartAndReadHeader(c));
    return header_;
  }

  Result<core::Dataset> Run() {
    Cursor c{text_.data(), text_.data() + text_.size(), 1};
    MLLOOP_RETURN_IF_ERROR(StartAndReadHeader(c));
    MLLOOP_RETURN_IF_ERROR(PlanColumns());
    Reserve(c);
    MLLOOP_RETURN_IF_ERROR(ReadRecords(c));
    Finish();
    return std::move(out_);
  }

 private:
  // Checks the options, steps over a byte-order mark and reads the header, leaving `c` on
  // the first record.
  Status StartAndReadHeader(Cursor& c) {
    MLLOOP_RETURN_IF_ERROR(CheckSchemaAndOptions());
    // A UTF-8 byte-order mark is an encoding marker, not part of the first column's name.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") c.p += 3;
    if (AtBlankTail(c.p, c.end)) {
      return Status::InvalidArgument(std::string(source_) + ": empty file, expected a header line");
    }
    return ReadHeader(c);
  }

  Status CheckSchemaAndOptions() const {
    const char d = scanner_.delimiter;
    if (d == '"' || d == '\n' || d == '\r') {
      return Status::InvalidArgument("CSV delimiter may not be a quote or a line break");
    }
    if (schema_.timestamp.source == core::TimestampSpec::Source::kColumn &&
        schema_.timestamp.column.empty()) {
      return Status::InvalidArgument(
          "schema: timestamp comes from a column, but no column is named");
    }
    return Status::Ok();
  }

  std::string Where(int64_t line) const {
    return std::string(source_) + ":" + std::to_string(line) + ": ";
  }

  std::string ColumnRef(size_t column) const {
    if (column < header_.size()) {
      return "column '" + header_[column] + "' (column " + std::to_string(column + 1) + ")";
    }
    return "column " + std::to_string(column + 1);
  }

  // `line` is where the field starts; `at` and `at_line` where the scan stopped.
  Status FieldError(FieldEnd how, int64_t line, size_t column, const char* at,
                    int64_t at_line) const {
    if (how == FieldEnd::kUnterminatedQuote) {
      return Status::InvalidArgument(Where(line) + ColumnRef(column) +
                                     ": quoted field opened on this line is never closed");
    }
    return Status::InvalidArgument(
        Where(at_line) + ColumnRef(column) + ": unexpected " + Quoted(std::string_view(at, 1)) +
        " after the closing quote (expected the delimiter or a line break)");
  }

  // True when only whitespace and line breaks remain: blank trailing lines are not records.
  static bool AtBlankTail(const char* p, const char* end) {
    for (; p != end; ++p) {
      if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t') return false;
    }
    return true;
  }

  Status ReadHeader(Cursor& c) {
    for (;;) {
      const int64_t line = c.line;
      std::string_view field;
      const FieldEnd how = ReadField(c, scanner_, scratch_, &field);
      if (how == FieldEnd::kUnterminatedQuote || how == FieldEnd::kJunkAfterQuote) {
        return FieldError(how, line, header_.size(), c.p, c.line);
      }
      header_.emplace_back(field);
      if (how == FieldEnd::kRecordEnd) break;
    }
    return Status::Ok();
  }

  // Finds the one header column called `name`, or explains why there is not exactly one.
  Result<size_t> FindColumn(const std::string& name, std::string_view role,
                            std::vector<std::string>* missing) const {
    std::vector<size_t> found;
    for (size_t i = 0; i < header_.size(); ++i) {
      if (header_[i] == name) found.push_back(i);
    }
    if (found.empty()) {
      missing->push_back("'" + name + "' (" + std::string(role) + ")");
      return size_t{0};
    }
    if (found.size() > 1) {
      std::string where;
      for (size_t i = 0; i < found.size(); ++i) {
        if (i > 0) where += i + 1 == found.size() ? " and " : ", ";
        where += std::to_string(found[i] + 1);
      }
      return Status::InvalidArgument(Where(1) + "the header names column '" + name + "' " +
                                     std::to_string(found.size()) + " times (columns " + where +
                                     "); the schema uses it as " + std::string(role) +
                                     ", so it must be unique");
    }
    return found[0];
  }

  Status PlanColumns() {
    using Kind = Action::Kind;
    const size_t nf = schema_.features.size();
    out_.n_features = nf;
    out_.categories.resize(nf);
    out_.segments.resize(schema_.segments.size());
    // Sized once so the Dictionary pointers handed to actions stay valid.
    dictionaries_.resize(nf + schema_.segments.size());
    std::vector<std::string> missing;

    for (size_t j = 0; j < nf; ++j) {
      const core::FeatureSpec& f = schema_.features[j];
      MLLOOP_ASSIGN_OR_RETURN(size_t col, FindColumn(f.name, "feature", &missing));
      Action a{col, Kind::kNumeric, j};
      if (f.type == core::FeatureType::kBoolean) a.kind = Kind::kBoolean;
      if (f.type == core::FeatureType::kCategorical) {
        a.kind = Kind::kCategorical;
        Dictionary& d = dictionaries_[j];
        d.values = &out_.categories[j];
        if (!f.categories.empty()) {
          // Declared categories: code = position in the declaration, nothing else allowed.
          *d.values = f.categories;
          for (size_t i = 0; i < f.categories.size(); ++i) {
            d.codes.emplace(f.categories[i], static_cast<uint32_t>(i));
          }
          d.closed = true;
        }
        a.dict = &d;
      }
      actions_.push_back(a);
    }

    if (!schema_.label.name.empty()) {
      const bool binary = schema_.label.task == core::Task::kBinaryClassification;
      MLLOOP_ASSIGN_OR_RETURN(size_t label_col, FindColumn(schema_.label.name, "label", &missing));
      actions_.push_back({label_col, binary ? Kind::kBinaryLabel : Kind::kRegressionLabel, 0});
    }

    if (schema_.timestamp.source == core::TimestampSpec::Source::kColumn) {
      MLLOOP_ASSIGN_OR_RETURN(size_t ts_col,
                              FindColumn(schema_.timestamp.column, "timestamp", &missing));
      actions_.push_back({ts_col, Kind::kTimestamp, 0});
      if (!schema_.timestamp.offset_column.empty()) {
        MLLOOP_ASSIGN_OR_RETURN(size_t offset_col, FindColumn(schema_.timestamp.offset_column,
                                                              "timestamp offset", &missing));
        actions_.push_back({offset_col, Kind::kTimestampOffset, 0});
      }
    }

    for (size_t k = 0; k < schema_.segments.size(); ++k) {
      MLLOOP_ASSIGN_OR_RETURN(size_t seg_col, FindColumn(schema_.segments[k], "segment", &missing));
      out_.segments[k].name = schema_.segments[k];
      Dictionary& d = dictionaries_[nf + k];
      d.values = &out_.segments[k].values;
      actions_.push_back({seg_col, Kind::kSegment, k, &d});
    }

    if (!missing.empty()) {
      return Status::InvalidArgument(Where(1) + "header (line 1) has no column" +
                                     (missing.size() > 1 ? "s " : " ") + JoinNames(missing) +
                                     "; the header's columns are: " + JoinNames(header_));
    }
    std::stable_sort(actions_.begin(), actions_.end(),
                     [](const Action& a, const Action& b) { return a.column < b.column; });
    return Status::Ok();
  }

  // Sizes the outputs from the first data line, so a regular file is read without regrowth.
  void Reserve(const Cursor& c) {
    const auto remaining = static_cast<size_t>(c.end - c.p);
    if (remaining == 0) return;
    const auto* nl = static_cast<const char*>(std::memchr(c.p, '\n', remaining));
    const size_t first_len = nl == nullptr ? remaining : static_cast<size_t>(nl - c.p) + 1;
    size_t estimate = remaining / first_len + remaining / first_len / 16 + 16;
    // A record of n fields takes at least n bytes (delimiters plus terminator), which bounds
    // the guess when the first line happens to be unusually short.
    estimate = std::min(estimate, remaining / std::max<size_t>(header_.size(), 1) + 1);
    Grow(estimate);
  }

  void Grow(size_t capacity) {
    capacity_ = capacity;
    out_.x.resize(capacity_ * out_.n_features);
    out_.y.resize(capacity_);
    if (schema_.timestamp.source == core::TimestampSpec::Source::kColumn) {
      out_.time.resize(capacity_);
    }
    for (auto& s : out_.segments) s.codes.resize(capacity_);
  }

  // `c` is taken by value and never has its address taken, so it stays in registers.
  Status ReadRecords(Cursor c) {
    const size_t n_columns = header_.size();
    const size_t nf = out_.n_features;
    const Action* const actions_end = actions_.data() + actions_.size();
    while (c.p != c.end) {
      // Only a line starting with a blank can begin a blank tail; testing that first keeps
      // the scan off the hot path.
      const char first = *c.p;
      if ((first == '\n' || first == '\r' || first == ' ' || first == '\t') &&
          AtBlankTail(c.p, c.end)) {
        break;
      }
      if (rows_ == capacity_) Grow(capacity_ * 2 + 16);

      const int64_t record_line = c.line;
      float* const xrow = out_.x.data() + rows_ * nf;
      const Action* a = actions_.data();
      Status pending;  // first bad value; reported after the field count is known to be right
      size_t column = 0;
      for (;; ++column) {
        const int64_t field_line = c.line;
        std::string_view field;
        const FieldEnd how = ReadField(c, scanner_, scratch_, &field);
        if (how == FieldEnd::kUnterminatedQuote || how == FieldEnd::kJunkAfterQuote) {
          return FieldError(how, field_line, column, c.p, c.line);
        }
        for (; a != actions_end && a->column == column; ++a) {
          if (a->kind == Action::Kind::kNumeric && !missing_.Contains(field) &&
              ParseFloat(field, &xrow[a->index])) {
            continue;  // the common case, kept free of calls that can fail
          }
          if (pending.ok()) pending = Apply(*a, field, field_line, xrow);
        }
        if (how == FieldEnd::kRecordEnd) break;
      }
      if (column + 1 != n_columns) {
        return Status::InvalidArgument(
            Where(record_line) + "expected " + std::to_string(n_columns) +
            " fields (as in the header), got " + std::to_string(column + 1));
      }
      if (!pending.ok()) return pending;
      ++rows_;
    }
    return Status::Ok();
  }

  // A lenient read's bad value: missing, and counted against its column.
  Status Violation(const Action& a, std::string_view field, float* xrow) {
    xrow[a.index] = kMissing;
    const std::string& name = header_[a.column];
    if (violations_->counts[name]++ == 0) violations_->examples[name] = std::string(field);
    return Status::Ok();
  }

  // Everything but a present, well-formed numeric feature.
  Status Apply(const Action& a, std::string_view field, int64_t line, float* xrow) {
    using Kind = Action::Kind;
    switch (a.kind) {
      case Kind::kNumeric:
        if (missing_.Contains(field)) {
          xrow[a.index] = kMissing;
          return Status::Ok();
        }
        if (violations_ != nullptr) return Violation(a, field, xrow);
        return Status::InvalidArgument(Where(line) + ColumnRef(a.column) +
                                       ": expected a number, got " + Quoted(field));
      case Kind::kBoolean: {
        if (missing_.Contains(field)) {
          xrow[a.index] = kMissing;
          return Status::Ok();
        }
        const int b = ParseBool(field);
        if (b < 0 && violations_ != nullptr) return Violation(a, field, xrow);
        if (b < 0) {
          return Status::InvalidArgument(Where(line) + ColumnRef(a.column) +
                                         ": expected a boolean (true/false, 1/0, yes/no), got " +
                                         Quoted(field));
        }
        xrow[a.index] = static_cast<float>(b);
        return Status::Ok();
      }
      case Kind::kCategorical: {
        if (missing_.Contains(field)) {
          xrow[a.index] = kMissing;
          return Status::Ok();
        }
        const int64_t code = a.dict->Code(field);
        if (code < 0 && violations_ != nullptr) return Violation(a, field, xrow);
        if (code < 0) {
          return Status::InvalidArgument(
              Where(line) + ColumnRef(a.column) + ": " + Quoted(field) +
              " is not one of the declared categories: " + JoinNames(*a.dict->values));
        }
        xrow[a.index] = static_cast<float>(code);
        return Status::Ok();
      }
      case Kind::kBinaryLabel:
        if (field == schema_.label.positive) {
          out_.y[rows_] = 1;
        } else if (field == schema_.label.negative) {
          out_.y[rows_] = 0;
        } else {
          return Status::InvalidArgument(
              Where(line) + "label '" + schema_.label.name + "': " + Quoted(field) +
              " is neither the positive value '" + schema_.label.positive +
              "' nor the negative value '" + schema_.label.negative + "'");
        }
        return Status::Ok();
      case Kind::kRegressionLabel:
        if (missing_.Contains(field)) {
          return Status::InvalidArgument(Where(line) + "label '" + schema_.label.name +
                                         "': missing value " + Quoted(field) +
                                         " (every row needs a label)");
        }
        if (!ParseFloat(field, &out_.y[rows_])) {
          return Status::InvalidArgument(Where(line) + "label '" + schema_.label.name +
                                         "' (column " + std::to_string(a.column + 1) +
                                         "): expected a number, got " + Quoted(field));
        }
        return Status::Ok();
      case Kind::kTimestamp: {
        Result<int64_t> t = core::ParseTimestamp(field);
        if (!t.ok()) return t.status().WithContext(Where(line).append(ColumnRef(a.column)));
        // `+=`: the offset column may come first; each row's slot starts at zero.
        out_.time[rows_] += *t;
        return Status::Ok();
      }
      case Kind::kTimestampOffset: {
        int64_t offset = 0;
        auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), offset);
        if (ec != std::errc() || p != field.data() + field.size()) {
          return Status::InvalidArgument(Where(line) + "timestamp offset '" +
                                         schema_.timestamp.offset_column + "' (column " +
                                         std::to_string(a.column + 1) +
                                         "): expected an integer, got " + Quoted(field));
        }
        out_.time[rows_] += offset * schema_.timestamp.offset_unit;
        return Status::Ok();
      }
      case Kind::kSegment:
        // Missing segment values form their own slice, named "".
        out_.segments[a.index].codes[rows_] = static_cast<uint32_t>(
            a.dict->Code(missing_.Contains(field) ? std::string_view() : field));
        return Status::Ok();
    }
    return Status::Internal("unhandled column action");
  }

  void Finish() {
    out_.x.resize(rows_ * out_.n_features);
    out_.y.resize(rows_);
    for (auto& s : out_.segments) s.codes.resize(rows_);
    out_.row.resize(rows_);
    std::iota(out_.row.begin(), out_.row.end(), int64_t{0});
    out_.time.resize(rows_);
    if (schema_.label.name.empty()) {
      std::fill(out_.y.begin(), out_.y.end(), std::numeric_limits<float>::quiet_NaN());
    }
    if (schema_.timestamp.source == core::TimestampSpec::Source::kRowIndex) {
      for (size_t i = 0; i < rows_; ++i) {
        out_.time[i] = schema_.timestamp.start + schema_.timestamp.step * static_cast<int64_t>(i);
      }
    }
  }

  std::string_view text_;
  std::string_view source_;
  const core::Schema& schema_;
  Scanner scanner_;
  MissingSet missing_;
  TypeViolations* violations_;  // null: strict reading
  std::string scratch_;  // unescaped quoted field; reused so quoting costs no allocation per field
  std::vector<std::string> header_;
  std::vector<Action> actions_;
  std::vector<Dictionary> dictionaries_;
  core::Dataset out_;
  size_t rows_ = 0;
  size_t capacity_ = 0;
};

}  // namespace

Result<std::string> ReadFileBytes(const std::string& path) {
  MLLOOP_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  if (EndsWith(path, ".gz") || HasGzipMagic(bytes)) return Gunzip(bytes, path);
  return bytes;
}

Result<core::Dataset> ParseCsv(std::string_view text, std::string_view source_name,
                               const core::Schema& schema, const CsvOptions& options) {
  return CsvParser(text, source_name, schema, options).Run();
}

Result<core::Dataset> ReadCsv(const std::string& path, const core::Schema& schema,
                              const CsvOptions& options) {
  MLLOOP_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  return ParseCsv(bytes, path, schema, options);
}

size_t TypeViolations::total() const {
  size_t n = 0;
  for (const auto& [column, count] : counts) n += count;
  return n;
}

Result<std::vector<std::string>> ParseCsvHeader(std::string_view text, std::string_view source_name,
                                                const CsvOptions& options) {
  const core::Schema none;
  return CsvParser(text, source_name, none, options).Header();
}

Result<core::Schema> InferSchema(std::string_view text, std::string_view source_name,
                                 const CsvOptions& options) {
  MLLOOP_ASSIGN_OR_RETURN(std::vector<std::string> header, ParseCsvHeader(text, source_name, options));
  // Read every column as numeric once, leniently: a column is categorical when any of its
  // present values did not parse as a number. (Reading everything as text instead would
  // build a dictionary of every distinct number: 30 s on a 1M-row table.)
  core::Schema all_numeric;
  for (const auto& name : header) {
    all_numeric.features.push_back({name, core::FeatureType::kNumeric, {}});
  }
  TypeViolations violations;
  CsvOptions lenient = options;
  lenient.bad_values_as_missing = &violations;
  MLLOOP_RETURN_IF_ERROR(ParseCsv(text, source_name, all_numeric, lenient).status());
  core::Schema schema;
  for (const auto& name : header) {
    const bool numeric = !violations.counts.contains(name);
    schema.features.push_back(
        {name, numeric ? core::FeatureType::kNumeric : core::FeatureType::kCategorical, {}});
  }
  return schema;
}

}  // namespace mlloop::io
