// The generated Unicode tables and their lookup.
#include <gtest/gtest.h>

#include <string_view>

#include "qvk/tokenizer/detail/byte_unicode.hpp"
#include "qvk/tokenizer/detail/codepoint_flags.hpp"
#include "qvk/tokenizer/detail/utf8.hpp"

namespace qvk::tokenizer::detail {
namespace {

TEST(UnicodeTables, ReflectUnicode15_1LikeLlamaCpp) { EXPECT_EQ(std::string_view(kUnicodeVersion), "15.1.0"); }

TEST(UnicodeTables, ClassifyKnownCodepoints) {
  EXPECT_EQ(codepoint_flags('A'), kLetter);
  EXPECT_EQ(codepoint_flags('7'), kNumber);
  EXPECT_EQ(codepoint_flags(' '), kSpace);
  EXPECT_EQ(codepoint_flags('\n'), kSpace);
  EXPECT_EQ(codepoint_flags('!'), 0);
  EXPECT_EQ(codepoint_flags(0x0301), kMark);     // combining acute
  EXPECT_EQ(codepoint_flags(0x00A0), kSpace);    // no-break space
  EXPECT_EQ(codepoint_flags(0x3000), kSpace);    // ideographic space
  EXPECT_EQ(codepoint_flags(0x200B), 0);         // zero width space is not White_Space
  EXPECT_EQ(codepoint_flags(0x001C), 0);         // not White_Space (Python's isspace says yes)
  EXPECT_EQ(codepoint_flags(0x0660), kNumber);   // Arabic-Indic zero
  EXPECT_EQ(codepoint_flags(0x2167), kNumber);   // Roman numeral eight (Nl)
  EXPECT_EQ(codepoint_flags(0x4E2D), kLetter);   // 中
  EXPECT_EQ(codepoint_flags(0x1F600), 0);        // 😀 (So)
  EXPECT_EQ(codepoint_flags(0x1D7CE), kNumber);  // mathematical bold digit zero
  EXPECT_EQ(codepoint_flags(0x2EBF0), kLetter);  // CJK Extension I, new in Unicode 15.1
  EXPECT_EQ(codepoint_flags(0xE0100), kMark);    // variation selector 17
  EXPECT_EQ(codepoint_flags(0x10FFFF), 0);
}

TEST(UnicodeTables, BmpTableAgreesWithRangeSearch) {
  for (char32_t c = 0; c < 0x10000; ++c) ASSERT_EQ(codepoint_flags(c), codepoint_flags_slow(c)) << std::hex << static_cast<std::uint32_t>(c);
}

TEST(UnicodeTables, RangesAreSortedAndDisjoint) {
  using Table = std::span<const CodepointRange>;
  for (const Table table : {Table(kLetterRanges), Table(kNumberRanges), Table(kMarkRanges), Table(kWhiteSpaceRanges)}) {
    for (std::size_t k = 0; k < table.size(); ++k) {
      ASSERT_LE(table[k].first, table[k].last);
      if (k > 0) {
        ASSERT_LT(table[k - 1].last + 1, table[k].first);  // maximal runs never touch
      }
    }
  }
}

TEST(ByteUnicode, MapIsABijectionOntoPrintableCodepoints) {
  std::array<int, kByteCodepointEnd> seen{};
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = kByteToCodepoint[b];
    ASSERT_LT(cp, kByteCodepointEnd);
    EXPECT_EQ(kCodepointToByte[cp], b);
    ++seen[cp];
    EXPECT_EQ(codepoint_flags(cp) & kSpace, 0) << "byte " << b << " maps to white space";
  }
  for (char32_t cp = 0; cp < kByteCodepointEnd; ++cp) EXPECT_LE(seen[cp], 1);
  EXPECT_EQ(kByteToCodepoint[0], 0x100u);
  EXPECT_EQ(kByteToCodepoint[0xAD], 0x143u);  // soft hyphen, the last shifted byte
}

TEST(Utf8, ScanFollowsUnicodeTable3_7) {
  EXPECT_TRUE(scan_utf8("\xF4\x8F\xBF\xBF").complete);   // U+10FFFF
  EXPECT_EQ(scan_utf8("\xF4\x90\x80\x80").valid, 1u);    // above U+10FFFF
  EXPECT_EQ(scan_utf8("\xE0\x9F\x80").valid, 1u);        // overlong
  EXPECT_EQ(scan_utf8("\xED\xA0\x80").valid, 1u);        // surrogate
  EXPECT_EQ(scan_utf8("\xC1\xBF").valid, 0u);            // overlong lead
  const Utf8Scan partial = scan_utf8("\xF0\x9F\x98");
  EXPECT_FALSE(partial.complete);
  EXPECT_EQ(partial.valid, 3u);
  EXPECT_EQ(scan_utf8("\xE2\x82\xAC").cp, 0x20ACu);
  EXPECT_FALSE(is_valid_utf8("ab\xC3"));
  EXPECT_TRUE(is_valid_utf8("ab\xC3\xA9"));
}

}  // namespace
}  // namespace qvk::tokenizer::detail
