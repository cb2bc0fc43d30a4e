#include "store/artifact_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include "core/hash.h"
#include "testutil/testutil.h"

namespace mlloop::store {
namespace {

namespace fs = std::filesystem;

// The contract every ArtifactStore keeps.
class ArtifactStoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "file") {
      auto store = FileArtifactStore::Open(dir_.File("artifacts"));
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
    } else {
      store_ = std::make_unique<MemoryArtifactStore>();
    }
  }

  testutil::TempDir dir_;
  std::unique_ptr<ArtifactStore> store_;
};

TEST_P(ArtifactStoreContractTest, NameIsTheContentHash) {
  std::string bytes = "{\"learner\": \"gbtree\"}";
  auto sha = store_->Put(bytes);
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(*sha, core::Sha256Hex(bytes));
  EXPECT_TRUE(store_->Contains(*sha));
  auto back = store_->Get(*sha);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, bytes);
}

TEST_P(ArtifactStoreContractTest, SameContentSameNameDifferentContentDifferentName) {
  auto a = store_->Put("model a");
  auto again = store_->Put("model a");
  auto b = store_->Put("model b");
  ASSERT_TRUE(a.ok() && again.ok() && b.ok());
  EXPECT_EQ(*a, *again);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(*store_->Get(*b), "model b");
}

TEST_P(ArtifactStoreContractTest, BinaryContentRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 70000; ++i) bytes.push_back(static_cast<char>(i % 256));
  auto sha = store_->Put(bytes);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(*store_->Get(*sha), bytes);
}

TEST_P(ArtifactStoreContractTest, MissingIsNotFoundAndBadNameIsInvalid) {
  std::string absent = core::Sha256Hex("never stored");
  EXPECT_FALSE(store_->Contains(absent));
  EXPECT_EQ(store_->Get(absent).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("../../etc/passwd").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Get(std::string(64, 'A')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(store_->Contains("../../etc/passwd"));
}

TEST_P(ArtifactStoreContractTest, ListsAndRemovesBlobs) {
  EXPECT_TRUE(store_->List()->empty());
  std::string a = *store_->Put("alpha");
  std::string b = *store_->Put("be");
  auto listed = store_->List();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  for (const BlobInfo& blob : *listed) {
    EXPECT_EQ(blob.bytes, blob.sha256 == a ? 5u : 2u);
  }
  ASSERT_TRUE(store_->Remove(a).ok());
  EXPECT_TRUE(store_->Remove(a).ok());  // already gone is fine
  EXPECT_FALSE(store_->Contains(a));
  EXPECT_TRUE(store_->Contains(b));
  EXPECT_EQ(store_->List()->size(), 1u);
  EXPECT_EQ(store_->Remove("../etc").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->Put("alpha"), a);  // and can come back
  EXPECT_EQ(*store_->Get(a), "alpha");
}

INSTANTIATE_TEST_SUITE_P(Backends, ArtifactStoreContractTest, ::testing::Values("file", "memory"),
                         [](const auto& info) { return info.param; });

// File-specific behaviour: layout, atomic write, corruption.
class FileArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = FileArtifactStore::Open(dir_.File("artifacts"));
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
  }

  std::vector<std::string> FilesUnder(const std::string& root) {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file()) out.push_back(fs::relative(entry.path(), root).string());
    }
    return out;
  }

  testutil::TempDir dir_;
  std::unique_ptr<FileArtifactStore> store_;
};

TEST_F(FileArtifactStoreTest, WritesUnderTwoHexDigitDirectoryAndLeavesNoTempFiles) {
  auto sha = store_->Put("booster bytes");
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(store_->PathFor(*sha), dir_.File("artifacts") + "/" + sha->substr(0, 2) + "/" + *sha);
  EXPECT_EQ(testutil::ReadFile(store_->PathFor(*sha)), "booster bytes");
  EXPECT_EQ(FilesUnder(dir_.File("artifacts")),
            std::vector<std::string>{sha->substr(0, 2) + "/" + *sha});
}

TEST_F(FileArtifactStoreTest, PutOfExistingContentDoesNotRewrite) {
  auto sha = store_->Put("stable");
  ASSERT_TRUE(sha.ok());
  std::string path = store_->PathFor(*sha);
  auto old_time = fs::file_time_type::clock::now() - std::chrono::hours(24);
  fs::last_write_time(path, old_time);
  ASSERT_TRUE(store_->Put("stable").ok());
  EXPECT_EQ(fs::last_write_time(path), old_time);
}

TEST_F(FileArtifactStoreTest, PutHealsATruncatedBlob) {
  auto sha = store_->Put("full content");
  ASSERT_TRUE(sha.ok());
  testutil::WriteFile(store_->PathFor(*sha), "full");
  ASSERT_TRUE(store_->Put("full content").ok());
  EXPECT_EQ(*store_->Get(*sha), "full content");
}

TEST_F(FileArtifactStoreTest, GetDetectsCorruption) {
  auto sha = store_->Put("original");
  ASSERT_TRUE(sha.ok());
  testutil::WriteFile(store_->PathFor(*sha), "tampered");
  auto got = store_->Get(*sha);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(got.status().message(),
            "artifact " + *sha + " is corrupt: content hash is " + core::Sha256Hex("tampered"));
}

TEST_F(FileArtifactStoreTest, ReopenSeesStoredBlobs) {
  auto sha = store_->Put("persisted");
  ASSERT_TRUE(sha.ok());
  auto reopened = FileArtifactStore::Open(dir_.File("artifacts"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->Get(*sha), "persisted");
}

TEST_F(FileArtifactStoreTest, StaleTemporariesAreRemovedYoungOnesKept) {
  std::string sha = *store_->Put("x");
  const std::string sub = dir_.File("artifacts") + "/" + sha.substr(0, 2);
  testutil::WriteFile(sub + "/.tmp-1-0", "half a blob");
  testutil::WriteFile(sub + "/.tmp-2-0", "in progress");
  fs::last_write_time(sub + "/.tmp-1-0", fs::file_time_type::clock::now() - std::chrono::hours(2));
  const int64_t an_hour_ago = static_cast<int64_t>(std::time(nullptr)) - 3600;
  EXPECT_EQ(*store_->RemoveStaleTemporaries(an_hour_ago), 11u);
  EXPECT_FALSE(fs::exists(sub + "/.tmp-1-0"));
  EXPECT_TRUE(fs::exists(sub + "/.tmp-2-0"));
  EXPECT_EQ(store_->List()->size(), 1u);  // temporaries are never listed as blobs
}

TEST_F(FileArtifactStoreTest, OpenRefusesAFile) {
  testutil::WriteFile(dir_.File("plain"), "x");
  auto store = FileArtifactStore::Open(dir_.File("plain"));
  EXPECT_FALSE(store.ok());
}

}  // namespace
}  // namespace mlloop::store
