#include "kop/protocol/crc32c.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace kop::protocol {
namespace {

std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST_CASE("crc32c: known vectors", "[crc32c]") {
  CHECK(Crc32c({}) == 0);
  CHECK(Crc32c(AsBytes("123456789")) == 0xE3069283u);
  CHECK(Crc32cPortable(AsBytes("123456789")) == 0xE3069283u);
  // RFC 3720 (iSCSI) appendix B.4.
  std::vector<uint8_t> buf(32, 0);
  CHECK(Crc32c(buf) == 0x8A9136AAu);
  std::fill(buf.begin(), buf.end(), 0xFF);
  CHECK(Crc32c(buf) == 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(i);
  CHECK(Crc32c(buf) == 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(31 - i);
  CHECK(Crc32c(buf) == 0x113FDB5Cu);
}

TEST_CASE("crc32c: extends across splits", "[crc32c]") {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(100000);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  const uint32_t whole = Crc32c(data);
  for (size_t cut : {0ul, 1ul, 7ul, 8ul, 767ul, 768ul, 24575ul, 50000ul,
                     99999ul, 100000ul}) {
    std::span<const uint8_t> s(data);
    CHECK(Crc32c(s.subspan(cut), Crc32c(s.first(cut))) == whole);
    CHECK(Crc32cPortable(s.subspan(cut), Crc32cPortable(s.first(cut))) ==
          whole);
  }
}

TEST_CASE("crc32c: hardware equals portable", "[crc32c]") {
  if (!Crc32cHardwareAvailable()) {
    WARN("no SSE4.2 on this CPU: only the portable path is tested");
  }
  std::mt19937 rng(42);
  std::vector<uint8_t> data(3 * 8192 * 2 + 4096);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  std::span<const uint8_t> all(data);
  // Every length around the 3-way block boundaries, at every alignment.
  std::vector<size_t> lengths;
  for (size_t base : {0ul, 8ul, 768ul, 24576ul, 49152ul}) {
    for (size_t d = 0; d < 20; ++d) {
      if (base + d < data.size() - 16) lengths.push_back(base + d);
      if (base >= d) lengths.push_back(base - d);
    }
  }
  for (int i = 0; i < 300; ++i) lengths.push_back(rng() % (data.size() - 16));
  for (size_t len : lengths) {
    for (size_t align = 0; align < 16; ++align) {
      auto s = all.subspan(align, len);
      const uint32_t seed = static_cast<uint32_t>(rng());
      REQUIRE(Crc32cHardware(s, seed) == Crc32cPortable(s, seed));
    }
  }
}

}  // namespace
}  // namespace kop::protocol
