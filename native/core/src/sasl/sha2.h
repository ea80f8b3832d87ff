// SHA-256 and SHA-512 (FIPS 180-4), HMAC (RFC 2104) and PBKDF2 (RFC 8018,
// "Hi" in RFC 5802): what SCRAM-SHA-256/512 (RFC 5802, RFC 7677) needs, in
// plain C++ so the core links no crypto library. Written from the standards;
// tests/unit/sha2_test.cc checks them against RFC 4231, RFC 6234 and RFC 7677
// vectors. Not hardened against timing side channels beyond what SCRAM needs
// (the proof comparison is constant time, see ConstantTimeEquals).
#ifndef KOP_CORE_SASL_SHA2_H_
#define KOP_CORE_SASL_SHA2_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kop::core::sasl {

// The two hash functions SCRAM uses, by their SASL mechanism.
enum class HashKind { kSha256, kSha512 };

// Digest length in bytes: 32 or 64.
size_t DigestSize(HashKind kind);

// H(data), as raw bytes.
std::string Hash(HashKind kind, std::string_view data);

// HMAC(key, data), as raw bytes.
std::string Hmac(HashKind kind, std::string_view key, std::string_view data);

// PBKDF2 with HMAC-H and a derived key of one digest (RFC 5802's Hi()).
std::string Pbkdf2(HashKind kind, std::string_view password,
                   std::string_view salt, int iterations);

// Whether a == b, in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kop::core::sasl

#endif  // KOP_CORE_SASL_SHA2_H_
