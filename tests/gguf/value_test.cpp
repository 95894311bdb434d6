// Value: typed reads with range checks, describe(), type names.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "qvk/gguf/value.hpp"

namespace qvk::gguf {
namespace {

TEST(GgufValue, NamesEveryValueType) {
  EXPECT_EQ(value_type_name(ValueType::UINT8), "uint8");
  EXPECT_EQ(value_type_name(ValueType::INT16), "int16");
  EXPECT_EQ(value_type_name(ValueType::FLOAT32), "float32");
  EXPECT_EQ(value_type_name(ValueType::BOOL), "bool");
  EXPECT_EQ(value_type_name(ValueType::STRING), "string");
  EXPECT_EQ(value_type_name(ValueType::ARRAY), "array");
  EXPECT_EQ(value_type_name(ValueType::FLOAT64), "float64");
  EXPECT_EQ(value_type_name(static_cast<ValueType>(13)), "invalid");
}

TEST(GgufValue, AsUintAcceptsNonNegativeIntegersOnly) {
  EXPECT_EQ(Value::u64(std::numeric_limits<std::uint64_t>::max()).as_uint(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(Value::i32(7).as_uint(), 7u);
  EXPECT_FALSE(Value::i32(-1).as_uint());
  EXPECT_FALSE(Value::f32(1.0f).as_uint());
  EXPECT_FALSE(Value::boolean(true).as_uint());
  EXPECT_FALSE(Value::str("1").as_uint());
}

TEST(GgufValue, AsIntRejectsUnsignedAboveInt64Max) {
  EXPECT_EQ(Value::i64(std::numeric_limits<std::int64_t>::min()).as_int(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(Value::u64(std::uint64_t{1} << 62).as_int(), std::int64_t{1} << 62);
  EXPECT_FALSE(Value::u64(std::uint64_t{1} << 63).as_int());
  EXPECT_FALSE(Value::f64(2.0).as_int());
}

TEST(GgufValue, AsFloatAcceptsEveryNumberButNotBoolOrString) {
  EXPECT_EQ(Value::f32(1.5f).as_float(), 1.5);
  EXPECT_EQ(Value::f64(-2.25).as_float(), -2.25);
  EXPECT_EQ(Value::u32(3).as_float(), 3.0);
  EXPECT_EQ(Value::i8(-4).as_float(), -4.0);
  EXPECT_FALSE(Value::boolean(false).as_float());
  EXPECT_FALSE(Value::str("1.0").as_float());
}

TEST(GgufValue, TypedAccessorsReturnNullForOtherTypes) {
  const Value s = Value::str("qwen3");
  ASSERT_NE(s.as_string(), nullptr);
  EXPECT_EQ(*s.as_string(), "qwen3");
  EXPECT_EQ(s.as_array(), nullptr);
  const Value a = Value::array(ValueType::UINT8, {Value::u8(1)});
  EXPECT_EQ(a.as_string(), nullptr);
  ASSERT_NE(a.as_array(), nullptr);
  EXPECT_EQ(a.as_array()->size(), 1u);
  EXPECT_EQ(Value::boolean(true).as_bool(), true);
  EXPECT_FALSE(Value::u8(1).as_bool());
}

TEST(GgufValue, DescribeGivesTypeAndShortValue) {
  EXPECT_EQ(Value::u32(1024).describe(), "uint32 1024");
  EXPECT_EQ(Value::i16(-5).describe(), "int16 -5");
  EXPECT_EQ(Value::boolean(true).describe(), "bool true");
  EXPECT_EQ(Value::f32(1.5f).describe(), "float32 1.5");
  EXPECT_EQ(Value::f32(0.1f).describe(), "float32 0.10000000149011612");  // the stored float, exactly
  EXPECT_EQ(Value::str("qwen3").describe(), "string \"qwen3\"");
  EXPECT_EQ(Value::str(std::string(100, 'x')).describe(), "string \"" + std::string(40, 'x') + "...\"");
  EXPECT_EQ(Value::array(ValueType::STRING, {Value::str("a"), Value::str("b")}).describe(), "array<string>[2]");
}

TEST(GgufValue, EqualityComparesTheMeaningfulField) {
  EXPECT_EQ(Value::u32(5), Value::u32(5));
  EXPECT_NE(Value::u32(5), Value::u64(5));
  EXPECT_NE(Value::str("a"), Value::str("b"));
  EXPECT_NE(Value::array(ValueType::UINT8, {}), Value::array(ValueType::INT8, {}));
}

}  // namespace
}  // namespace qvk::gguf
