#include "sasl/sha2.h"

#include <array>
#include <cstring>

namespace kop::core::sasl {
namespace {

// FIPS 180-4 section 4.2: the first 32 (SHA-256) or 64 (SHA-512) bits of the
// fractional parts of the cube roots of the first 64 or 80 primes.
constexpr std::array<uint32_t, 64> kK256 = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu,
    0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u,
    0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u,
    0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
    0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u,
    0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u,
    0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u, 0x1e376c08u,
    0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu,
    0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};
constexpr std::array<uint64_t, 80> kK512 = {
    0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full,
    0xe9b5dba58189dbbcull, 0x3956c25bf348b538ull, 0x59f111f1b605d019ull,
    0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull, 0xd807aa98a3030242ull,
    0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
    0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull,
    0xc19bf174cf692694ull, 0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull,
    0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull, 0x2de92c6f592b0275ull,
    0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
    0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full,
    0xbf597fc7beef0ee4ull, 0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull,
    0x06ca6351e003826full, 0x142929670a0e6e70ull, 0x27b70a8546d22ffcull,
    0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
    0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull,
    0x92722c851482353bull, 0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull,
    0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull, 0xd192e819d6ef5218ull,
    0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
    0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull,
    0x34b0bcb5e19b48a8ull, 0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull,
    0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull, 0x748f82ee5defb2fcull,
    0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
    0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull,
    0xc67178f2e372532bull, 0xca273eceea26619cull, 0xd186b8c721c0c207ull,
    0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull, 0x06f067aa72176fbaull,
    0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
    0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull,
    0x431d67c49c100d4cull, 0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull,
    0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull,
};
// Section 5.3: the fractional parts of the square roots of the first eight
// primes.
constexpr std::array<uint32_t, 8> kH256 = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};
constexpr std::array<uint64_t, 8> kH512 = {
    0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
    0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
    0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
};

template <typename W>
constexpr W Rotr(W x, int n) {
  return static_cast<W>((x >> n) | (x << (sizeof(W) * 8 - n)));
}

// What differs between SHA-256 and SHA-512 (section 4.1.2 and 4.1.3).
struct Sha256Traits {
  using Word = uint32_t;
  static constexpr size_t kRounds = 64;
  static constexpr size_t kBlock = 64;
  static constexpr const std::array<uint32_t, 64>& K = kK256;
  static constexpr const std::array<uint32_t, 8>& H = kH256;
  static Word S0(Word x) { return Rotr(x, 2) ^ Rotr(x, 13) ^ Rotr(x, 22); }
  static Word S1(Word x) { return Rotr(x, 6) ^ Rotr(x, 11) ^ Rotr(x, 25); }
  static Word s0(Word x) { return Rotr(x, 7) ^ Rotr(x, 18) ^ (x >> 3); }
  static Word s1(Word x) { return Rotr(x, 17) ^ Rotr(x, 19) ^ (x >> 10); }
};
struct Sha512Traits {
  using Word = uint64_t;
  static constexpr size_t kRounds = 80;
  static constexpr size_t kBlock = 128;
  static constexpr const std::array<uint64_t, 80>& K = kK512;
  static constexpr const std::array<uint64_t, 8>& H = kH512;
  static Word S0(Word x) { return Rotr(x, 28) ^ Rotr(x, 34) ^ Rotr(x, 39); }
  static Word S1(Word x) { return Rotr(x, 14) ^ Rotr(x, 18) ^ Rotr(x, 41); }
  static Word s0(Word x) { return Rotr(x, 1) ^ Rotr(x, 8) ^ (x >> 7); }
  static Word s1(Word x) { return Rotr(x, 19) ^ Rotr(x, 61) ^ (x >> 6); }
};

template <typename T>
class Sha2 {
  using Word = typename T::Word;
  static constexpr size_t kWordBytes = sizeof(Word);

 public:
  Sha2() : h_(T::H) {}

  void Update(std::string_view data) {
    for (char c : data) {
      block_[used_++] = static_cast<uint8_t>(c);
      if (used_ == T::kBlock) {
        Compress();
        used_ = 0;
      }
    }
    bytes_ += data.size();
  }

  // Section 5.1: a 1 bit, zeros, then the message length in bits (a 64-bit
  // count is enough: no SCRAM message comes near 2^61 bytes).
  std::string Finish() {
    const uint64_t bits = bytes_ * 8;
    block_[used_++] = 0x80;
    const size_t length_field = 2 * kWordBytes;
    if (used_ > T::kBlock - length_field) {
      std::memset(block_.data() + used_, 0, T::kBlock - used_);
      Compress();
      used_ = 0;
    }
    std::memset(block_.data() + used_, 0, T::kBlock - used_);
    for (size_t i = 0; i < 8; ++i) {
      block_[T::kBlock - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
    }
    Compress();
    std::string out(8 * kWordBytes, '\0');
    for (size_t i = 0; i < 8; ++i) {
      for (size_t b = 0; b < kWordBytes; ++b) {
        out[i * kWordBytes + b] =
            static_cast<char>(h_[i] >> (8 * (kWordBytes - 1 - b)));
      }
    }
    return out;
  }

 private:
  // Section 6.2.2 / 6.4.2.
  void Compress() {
    std::array<Word, T::kRounds> w;
    for (size_t t = 0; t < 16; ++t) {
      Word v = 0;
      for (size_t b = 0; b < kWordBytes; ++b) {
        v = static_cast<Word>((v << 8) | block_[t * kWordBytes + b]);
      }
      w[t] = v;
    }
    for (size_t t = 16; t < T::kRounds; ++t) {
      w[t] = T::s1(w[t - 2]) + w[t - 7] + T::s0(w[t - 15]) + w[t - 16];
    }
    Word a = h_[0], b = h_[1], c = h_[2], d = h_[3];
    Word e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    for (size_t t = 0; t < T::kRounds; ++t) {
      const Word ch = (e & f) ^ (~e & g);
      const Word maj = (a & b) ^ (a & c) ^ (b & c);
      const Word t1 = h + T::S1(e) + ch + T::K[t] + w[t];
      const Word t2 = T::S0(a) + maj;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d;
    h_[4] += e, h_[5] += f, h_[6] += g, h_[7] += h;
  }

  std::array<Word, 8> h_;
  std::array<uint8_t, T::kBlock> block_{};
  size_t used_ = 0;
  uint64_t bytes_ = 0;
};

template <typename T>
std::string HashWith(std::string_view a, std::string_view b = {}) {
  Sha2<T> s;
  s.Update(a);
  s.Update(b);
  return s.Finish();
}

template <typename T>
std::string HmacWith(std::string_view key, std::string_view data) {
  // RFC 2104: a key longer than the block is hashed first; then
  // H((K ^ opad) || H((K ^ ipad) || data)).
  std::string k = key.size() > T::kBlock ? HashWith<T>(key) : std::string(key);
  k.resize(T::kBlock, '\0');
  std::string ipad(T::kBlock, '\0'), opad(T::kBlock, '\0');
  for (size_t i = 0; i < T::kBlock; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  return HashWith<T>(opad, HashWith<T>(ipad, data));
}

}  // namespace

size_t DigestSize(HashKind kind) { return kind == HashKind::kSha256 ? 32 : 64; }

std::string Hash(HashKind kind, std::string_view data) {
  return kind == HashKind::kSha256 ? HashWith<Sha256Traits>(data)
                                   : HashWith<Sha512Traits>(data);
}

std::string Hmac(HashKind kind, std::string_view key, std::string_view data) {
  return kind == HashKind::kSha256 ? HmacWith<Sha256Traits>(key, data)
                                   : HmacWith<Sha512Traits>(key, data);
}

std::string Pbkdf2(HashKind kind, std::string_view password,
                   std::string_view salt, int iterations) {
  // RFC 5802 Hi(): U1 = HMAC(p, salt || INT(1)), Ui = HMAC(p, Ui-1), the
  // result is U1 ^ ... ^ Ui.
  std::string u =
      Hmac(kind, password, std::string(salt) + std::string("\0\0\0\1", 4));
  std::string result = u;
  for (int i = 1; i < iterations; ++i) {
    u = Hmac(kind, password, u);
    for (size_t b = 0; b < result.size(); ++b) result[b] ^= u[b];
  }
  return result;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace kop::core::sasl
