// The malformed corpus (corpus.hpp): every file is rejected with Error whose
// message names the file and the specific defect.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "corpus.hpp"
#include "qvk/gguf/file.hpp"
#include "test_files.hpp"

namespace qvk::gguf {
namespace {

using namespace testing;

TEST(GgufCorpus, BaseFileOfTheCorpusIsValid) {
  // The truncation cases cut this file; it must open, so that their failures
  // come from the cut alone.
  const auto path = scratch_dir() / "valid.gguf";
  write_file(path, valid_one_tensor_file().bytes());
  const File f = File::open(path);
  EXPECT_EQ(f.tensors().size(), 1u);
  EXPECT_EQ(f.data(f.tensors()[0]).size(), 256u);
}

TEST(GgufCorpus, HasAtLeast25UniquelyNamedCases) {
  const auto corpus = malformed_corpus();
  EXPECT_GE(corpus.size(), 25u);
  std::set<std::string> names;
  for (const auto& c : corpus) {
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate case " << c.name;
    EXPECT_FALSE(c.expected.empty()) << c.name;
    EXPECT_EQ(c.expected.find_first_of("\t\n"), std::string::npos) << c.name;
  }
}

TEST(GgufCorpus, EveryMalformedFileThrowsErrorNamingFileAndDefect) {
  const auto dir = scratch_dir();
  int rejected = 0;
  for (const auto& c : malformed_corpus()) {
    SCOPED_TRACE(c.name);
    const auto path = dir / c.name;
    write_file(path, c.bytes);
    try {
      File::open(path);
      ADD_FAILURE() << c.name << " opened without error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.file(), path.string());
      EXPECT_NE(what.find(path.string()), std::string::npos) << what;
      EXPECT_NE(what.find(c.expected), std::string::npos) << "expected '" << c.expected << "' in: " << what;
      EXPECT_FALSE(e.item().empty()) << what;
      ++rejected;
    }
  }
  EXPECT_EQ(rejected, static_cast<int>(malformed_corpus().size()));
}

}  // namespace
}  // namespace qvk::gguf
