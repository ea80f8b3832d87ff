#include "kop/protocol/buffer.h"

#include <catch2/catch.hpp>

namespace kop::protocol {
namespace {

TEST_CASE("varints round-trip at their edges", "[buffer]") {
  const int32_t ints[] = {0, 1, -1, 63, -64, 64, INT32_MAX, INT32_MIN};
  for (int32_t v : ints) {
    std::vector<uint8_t> out;
    Writer w(out);
    w.WriteVarint(v);
    REQUIRE(out.size() == VarintSize(v));
    Reader r(out);
    CHECK(r.ReadVarint() == v);
    CHECK(r.ok());
    CHECK(r.remaining() == 0);
  }
  const int64_t longs[] = {0, -1, INT64_MAX, INT64_MIN, 1LL << 40};
  for (int64_t v : longs) {
    std::vector<uint8_t> out;
    Writer w(out);
    w.WriteVarlong(v);
    REQUIRE(out.size() == VarlongSize(v));
    Reader r(out);
    CHECK(r.ReadVarlong() == v);
  }
}

TEST_CASE("zigzag matches Kafka's encoding", "[buffer]") {
  std::vector<uint8_t> out;
  Writer w(out);
  w.WriteVarint(-1);   // zigzag 1
  w.WriteVarint(1);    // zigzag 2
  w.WriteVarint(-64);  // zigzag 127
  w.WriteVarint(64);   // zigzag 128 -> 0x80 0x01
  CHECK(out == std::vector<uint8_t>{0x01, 0x02, 0x7f, 0x80, 0x01});
}

TEST_CASE("reads past the end fail and stay failed", "[buffer]") {
  const uint8_t data[] = {0x00, 0x01, 0x02};
  Reader r(data);
  CHECK(r.ReadInt16() == 1);
  CHECK(r.ReadInt32() == 0);
  CHECK_FALSE(r.ok());
  CHECK(r.error().offset == 2);
  CHECK(r.ReadInt8() == 0);
  CHECK(r.error().offset == 2);
}

TEST_CASE("an over-long varint is rejected", "[buffer]") {
  const uint8_t data[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  Reader r(data);
  r.ReadVarint();
  CHECK_FALSE(r.ok());
}

}  // namespace
}  // namespace kop::protocol
