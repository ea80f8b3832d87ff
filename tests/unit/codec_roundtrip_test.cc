// Every generated message, in every valid version: fill every field the
// version has, encode, decode, compare; then the same bytes fed with trailing
// garbage and cut short at every length.
#include <catch2/catch.hpp>
#include <string>

#include "kop/protocol/api.h"
#include "kop/protocol/testing.h"

namespace kop::protocol {
namespace {

using testing::AllMessages;
using testing::MessageKind;
using testing::Rng;

std::string Where(const MessageKind& k, int16_t v, int seed) {
  return std::string(k.name) + " v" + std::to_string(v) + " seed " +
         std::to_string(seed);
}

TEST_CASE("every message round-trips in every version", "[codec]") {
  int checked = 0;
  for (const MessageKind& kind : AllMessages()) {
    for (int16_t v = kind.min_version; v <= kind.max_version; ++v) {
      for (int seed = 0; seed < 4; ++seed) {
        INFO(Where(kind, v, seed));
        Rng rng(seed * 7919 + v);
        auto original = kind.make();
        kind.fill(*original, v, rng);

        std::vector<uint8_t> bytes;
        Writer w(bytes);
        absl::Status st = original->Encode(w, v);
        INFO(st.ToString());
        REQUIRE(st.ok());
        REQUIRE(bytes.size() == original->Size(v));

        // Whole buffer plus trailing garbage: decoding stops at the end.
        std::vector<uint8_t> padded = bytes;
        padded.insert(padded.end(), {0xde, 0xad, 0xbe, 0xef});
        Reader r(padded);
        auto decoded = kind.make();
        decoded->Decode(r, v);
        REQUIRE(r.ok());
        REQUIRE(r.position() == bytes.size());
        REQUIRE(*decoded == *original);

        std::vector<uint8_t> again;
        Writer w2(again);
        REQUIRE(decoded->Encode(w2, v).ok());
        REQUIRE(again == bytes);
        ++checked;
      }
    }
  }
  CHECK(checked > 1000);
}

TEST_CASE("every truncation of every message fails cleanly", "[codec]") {
  for (const MessageKind& kind : AllMessages()) {
    for (int16_t v = kind.min_version; v <= kind.max_version; ++v) {
      INFO(Where(kind, v, 1));
      Rng rng(1000 + v);
      auto original = kind.make();
      kind.fill(*original, v, rng);
      std::vector<uint8_t> bytes;
      Writer w(bytes);
      REQUIRE(original->Encode(w, v).ok());
      // Fed byte by byte: every proper prefix is an error, never a crash or
      // an over-read (ASan watches), and never a silent success.
      for (size_t cut = 0; cut < bytes.size(); ++cut) {
        std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + cut);
        Reader r(prefix);
        auto decoded = kind.make();
        decoded->Decode(r, v);
        if (r.ok()) {
          // A prefix can only decode if it is a complete encoding of a
          // shorter message (e.g. an empty message); it must then re-encode
          // to exactly the prefix.
          std::vector<uint8_t> re;
          Writer w2(re);
          REQUIRE(decoded->Encode(w2, v).ok());
          REQUIRE(re == prefix);
        } else {
          CHECK(r.error().offset <= cut);
          CHECK_FALSE(r.error().what.empty());
        }
      }
    }
  }
}

TEST_CASE("the API table matches the schemas", "[codec]") {
  const ApiSpec* produce = FindApi(0);
  REQUIRE(produce != nullptr);
  CHECK(std::string(produce->name) == "Produce");
  CHECK(produce->first_flexible_request == 9);
  CHECK(FindApi(18)->first_flexible_request == 3);
  CHECK(FindApi(-5) == nullptr);
  CHECK(NewRequest(1000) == nullptr);
  CHECK(std::string(NewRequest(3)->type_name()) == "MetadataRequest");
  CHECK(std::string(NewResponse(1)->type_name()) == "FetchResponse");
  // Header versions (KIP-482; ApiVersions responses always use v0).
  CHECK(RequestHeaderVersion(0, 8) == 1);
  CHECK(RequestHeaderVersion(0, 9) == 2);
  CHECK(ResponseHeaderVersion(0, 9) == 1);
  CHECK(ResponseHeaderVersion(18, 3) == 0);
  CHECK(RequestHeaderVersion(47, 0) == 1);  // OffsetDelete is never flexible
}

}  // namespace
}  // namespace kop::protocol
