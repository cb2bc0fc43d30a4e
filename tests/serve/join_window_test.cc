// The join window: rows by id and requests by id, the newest max_rows rows in whole
// requests, across many chunks, checked against a plain model of the same rules.
#include "serve/join_window.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace mlloop::serve {
namespace {

constexpr size_t kWidth = 3;
constexpr uint64_t kChunk = JoinWindow::kChunkRows;

// Request `first_row` of `rows` rows: row i has features (first_row + i, -1, 0.5) and
// prediction (first_row + i) / 1e6, so every row can be checked against its id.
struct Request {
  std::vector<float> x, predictions;
  Request(uint64_t first_row, uint32_t rows) {
    for (uint32_t i = 0; i < rows; ++i) {
      const float id = static_cast<float>(first_row + i);
      x.insert(x.end(), {id, -1.0f, 0.5f});
      predictions.push_back(id / 1e6f);
    }
  }
};

void Add(JoinWindow& window, uint64_t first_row, uint32_t rows, const std::string& id,
         int64_t version = 7) {
  const Request request(first_row, rows);
  window.Add(first_row, 1000 + static_cast<int64_t>(first_row), version, id, rows,
             request.x.data(), request.predictions.data());
}

void ExpectRow(JoinWindow& window, uint64_t row_id, uint64_t first_row, uint32_t rows) {
  JoinWindow::Row* row = window.Find(row_id);
  ASSERT_NE(row, nullptr) << row_id;
  EXPECT_EQ(row->index, row_id - first_row) << row_id;
  EXPECT_EQ(row->rows, rows) << row_id;
  EXPECT_EQ(row->time_ms, 1000 + static_cast<int64_t>(first_row)) << row_id;
  EXPECT_EQ(row->prediction, static_cast<float>(row_id) / 1e6f) << row_id;
  const float* x = window.Features(row_id);
  EXPECT_EQ(x[0], static_cast<float>(row_id)) << row_id;
  EXPECT_EQ(x[1], -1.0f) << row_id;
  EXPECT_EQ(x[2], 0.5f) << row_id;
}

TEST(JoinWindowTest, FindsRowsAndRequestsById) {
  JoinWindow window(kWidth, 100);
  Add(window, 0, 1, "a");
  Add(window, 1, 3, "batch", 9);
  Add(window, 4, 1, "b");
  EXPECT_EQ(window.rows(), 5u);
  EXPECT_EQ(window.requests(), 3u);
  ExpectRow(window, 0, 0, 1);
  for (uint64_t r = 1; r < 4; ++r) ExpectRow(window, r, 1, 3);
  ExpectRow(window, 4, 4, 1);
  EXPECT_EQ(window.Find(2)->version, 9);
  EXPECT_EQ(window.Find(2)->shadow_version, 0);
  EXPECT_FALSE(window.Find(2)->labelled);
  EXPECT_EQ(window.Find(5), nullptr);
  uint64_t first = 99;
  ASSERT_TRUE(window.FirstRowOf("batch", &first));
  EXPECT_EQ(first, 1u);
  ASSERT_TRUE(window.FirstRowOf("b", &first));
  EXPECT_EQ(first, 4u);
  EXPECT_FALSE(window.FirstRowOf("c", &first));
  EXPECT_FALSE(window.FirstRowOf("", &first));
}

TEST(JoinWindowTest, KeepsTheNewestRowsInWholeRequestsAndAlwaysTheNewestRequest) {
  JoinWindow window(kWidth, 4);
  Add(window, 0, 2, "a");
  Add(window, 2, 2, "b");
  Add(window, 4, 1, "c");  // 5 rows: "a" leaves whole, not one row of it
  EXPECT_EQ(window.rows(), 3u);
  EXPECT_EQ(window.Find(1), nullptr);
  uint64_t first = 0;
  EXPECT_FALSE(window.FirstRowOf("a", &first));
  ASSERT_TRUE(window.FirstRowOf("b", &first));
  Add(window, 5, 3 * kChunk, "huge");  // larger than the window and than a chunk: it stays
  EXPECT_EQ(window.requests(), 1u);
  EXPECT_EQ(window.rows(), 3 * kChunk);
  ExpectRow(window, 5, 5, 3 * kChunk);
  ExpectRow(window, 5 + 3 * kChunk - 1, 5, 3 * kChunk);
  EXPECT_FALSE(window.FirstRowOf("b", &first));
  Add(window, 5 + 3 * kChunk, 1, "after");
  EXPECT_EQ(window.requests(), 1u);
  EXPECT_EQ(window.Find(5), nullptr);
  ExpectRow(window, 5 + 3 * kChunk, 5 + 3 * kChunk, 1);
}

TEST(JoinWindowTest, ARepeatedIdNamesItsNewestRequestUntilThatOneLeaves) {
  JoinWindow window(kWidth, 3);
  Add(window, 0, 1, "x");
  Add(window, 1, 1, "y");
  Add(window, 2, 1, "x");
  uint64_t first = 0;
  ASSERT_TRUE(window.FirstRowOf("x", &first));
  EXPECT_EQ(first, 2u);
  Add(window, 3, 1, "z");  // row 0, the older "x", leaves; the name stays with row 2
  ASSERT_TRUE(window.FirstRowOf("x", &first));
  EXPECT_EQ(first, 2u);
  Add(window, 4, 1, "w");
  Add(window, 5, 1, "v");  // row 2 leaves
  EXPECT_FALSE(window.FirstRowOf("x", &first));
  ASSERT_TRUE(window.FirstRowOf("z", &first));
  EXPECT_EQ(first, 3u);
}

TEST(JoinWindowTest, ARowIdThatDoesNotFollowTheNewestStartsTheWindowAfresh) {
  JoinWindow window(kWidth, 100);
  Add(window, 10, 2, "a");
  Add(window, 50, 1, "b");  // a gap: an old log's numbering
  EXPECT_EQ(window.rows(), 1u);
  EXPECT_EQ(window.Find(10), nullptr);
  uint64_t first = 0;
  EXPECT_FALSE(window.FirstRowOf("a", &first));
  ExpectRow(window, 50, 50, 1);
  Add(window, 20, 1, "c");  // backwards
  EXPECT_EQ(window.rows(), 1u);
  ExpectRow(window, 20, 20, 1);
  Add(window, 21, 0, "empty");  // no rows: nothing to join
  EXPECT_EQ(window.rows(), 1u);
  EXPECT_FALSE(window.FirstRowOf("empty", &first));
}

TEST(JoinWindowTest, LongIdsAreKeptWholeAndAnIdPast65535BytesIsMatchedByItsFirst65535) {
  JoinWindow window(kWidth, 1'000'000);
  // Enough long ids to overflow a chunk's own id space.
  uint64_t row = 0;
  for (int i = 0; i < 3000; ++i, ++row) {
    Add(window, row, 1, std::string(500, 'a' + i % 26) + std::to_string(i));
  }
  for (int i = 0; i < 3000; i += 7) {
    uint64_t first = 0;
    ASSERT_TRUE(window.FirstRowOf(std::string(500, 'a' + i % 26) + std::to_string(i), &first)) << i;
    EXPECT_EQ(first, static_cast<uint64_t>(i));
  }
  const std::string giant(70'000, 'g');
  Add(window, row, 1, giant);
  uint64_t first = 0;
  ASSERT_TRUE(window.FirstRowOf(giant.substr(0, 65535), &first));
  EXPECT_EQ(first, row);
  // Feedback names the request by the same whole id.
  first = 0;
  ASSERT_TRUE(window.FirstRowOf(giant, &first));
  EXPECT_EQ(first, row);
}

// Random requests (ids drawn from a small pool, so names repeat and move; sizes from 1 row
// to over a chunk) against a model that keeps the same rules with standard containers.
TEST(JoinWindowTest, AgreesWithAPlainModelOverManyChunks) {
  std::mt19937_64 random(42);
  for (size_t max_rows : {size_t{1}, size_t{7}, size_t{5000}, 3 * kChunk}) {
    JoinWindow window(kWidth, max_rows);
    struct Kept {
      uint64_t first_row;
      uint32_t rows;
      std::string id;
    };
    std::deque<Kept> kept;
    uint64_t kept_rows = 0;
    std::map<std::string, uint64_t> named;  // id -> the newest request's first row
    uint64_t next = 12345;
    for (int step = 0; step < 20000; ++step) {
      const uint32_t rows = random() % 100 == 0 ? static_cast<uint32_t>(kChunk + random() % 100)
                                                : static_cast<uint32_t>(1 + random() % 3);
      const std::string id = "id" + std::to_string(random() % 3000);
      Add(window, next, rows, id);
      kept.push_back({next, rows, id});
      kept_rows += rows;
      named[id] = next;
      next += rows;
      while (kept_rows > max_rows && kept.size() > 1) {
        const Kept& old = kept.front();
        auto it = named.find(old.id);
        if (it != named.end() && it->second == old.first_row) named.erase(it);
        kept_rows -= old.rows;
        kept.pop_front();
      }
      ASSERT_EQ(window.rows(), kept_rows) << step;
      ASSERT_EQ(window.requests(), kept.size()) << step;
      if (step % 97 != 0) continue;
      for (int k = 0; k < 3000; k += 11) {
        const std::string probe = "id" + std::to_string(k);
        uint64_t first = 0;
        const bool found = window.FirstRowOf(probe, &first);
        auto it = named.find(probe);
        ASSERT_EQ(found, it != named.end()) << max_rows << " " << step << " " << probe;
        if (found) {
          ASSERT_EQ(first, it->second) << max_rows << " " << step << " " << probe;
        }
      }
      const Kept& oldest = kept.front();
      ExpectRow(window, oldest.first_row, oldest.first_row, oldest.rows);
      EXPECT_EQ(window.Find(oldest.first_row - 1), nullptr);
      ExpectRow(window, next - 1, kept.back().first_row, kept.back().rows);
    }
  }
}

}  // namespace
}  // namespace mlloop::serve
