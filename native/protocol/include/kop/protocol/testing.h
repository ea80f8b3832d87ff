// Test support for the generated codec: a deterministic generator of field
// values and a registry of every generated message. Linked only into tests
// and fuzzers (kop_protocol_testing), never into the broker.
#ifndef KOP_PROTOCOL_TESTING_H_
#define KOP_PROTOCOL_TESTING_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kop/protocol/message.h"

namespace kop::protocol::testing {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 2654435761u + 1) {}
  uint64_t Next() {
    // xorshift64*: deterministic across platforms.
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 2685821657736338717ull;
  }
  bool Chance(int one_in) { return Next() % one_in == 0; }
  std::string NextString() {
    std::string s(Next() % 12, 'a');
    for (char& c : s) c = static_cast<char>('a' + Next() % 26);
    return s;
  }
  std::vector<uint8_t> NextBytes() {
    std::vector<uint8_t> b(Next() % 9);
    for (uint8_t& c : b) c = static_cast<uint8_t>(Next());
    return b;
  }
  Uuid NextUuid() {
    Uuid u;
    for (uint8_t& c : u) c = static_cast<uint8_t>(Next());
    return u;
  }

 private:
  uint64_t state_;
};

// A few bytes standing in for record data (the codec does not look inside).
RecordsRef SampleRecords();

struct MessageKind {
  const char* name;
  const char* kind;  // request, response, header, data
  int16_t api_key;   // -1 for headers and data
  int16_t min_version;
  int16_t max_version;
  std::unique_ptr<Message> (*make)();
  // Sets every field present in `version` to a generated value.
  void (*fill)(Message& m, int16_t version, Rng& rng);
};

std::span<const MessageKind> AllMessages();

}  // namespace kop::protocol::testing

#endif  // KOP_PROTOCOL_TESTING_H_
