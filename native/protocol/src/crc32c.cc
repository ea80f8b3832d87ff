#include "kop/protocol/crc32c.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace kop::protocol {
namespace {

constexpr uint32_t kPoly = 0x82F63B78;  // Castagnoli, bit-reflected

// kTables[0] is the classic byte-at-a-time table; kTables[k][b] is the CRC
// register contribution of byte b followed by k zero bytes, which lets the
// slicing-by-8 loop fold eight bytes with eight independent lookups.
constexpr std::array<std::array<uint32_t, 256>, 8> MakeTables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
  }
  return t;
}
constexpr auto kTables = MakeTables();

// Raw register update (no pre/post inversion) over `n` bytes.
uint32_t PortableUpdate(uint32_t c, const uint8_t* p, size_t n) {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = kTables[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    --n;
  }
  while (n >= 8) {
    const uint32_t lo = c ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 |
                             uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24);
    const uint32_t hi = uint32_t{p[4]} | uint32_t{p[5]} << 8 |
                        uint32_t{p[6]} << 16 | uint32_t{p[7]} << 24;
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^
        kTables[5][(lo >> 16) & 0xff] ^ kTables[4][lo >> 24] ^
        kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
        kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = kTables[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    --n;
  }
  return c;
}

#if defined(__x86_64__)

// Block sizes of the three interleaved streams. The crc32 instruction has a
// latency of 3 cycles and a throughput of 1 per cycle, so three independent
// streams keep it busy; their CRCs are then joined with a "shift by N zero
// bytes" operator, which is linear and so tabulated per input byte.
constexpr size_t kLongBlock = 8192;
// The crc32 instruction came with SSE 4.2, but clang >= 19 (Zig's,
// scripts/build-cross) makes it a target feature of its own that "sse4.2" no
// longer implies; GCC and older clang accept both.
#define KOP_CRC32_TARGET __attribute__((target("sse4.2,crc32")))
constexpr size_t kShortBlock = 256;

// The register after running `n` zero bytes through it, as 4 byte tables.
struct ZeroShift {
  std::array<std::array<uint32_t, 256>, 4> t;

  explicit ZeroShift(size_t n) {
    // Shift each of the 32 basis vectors, then combine by linearity.
    std::array<uint32_t, 32> basis{};
    static const uint8_t kZeros[256] = {};
    for (int bit = 0; bit < 32; ++bit) {
      uint32_t c = uint32_t{1} << bit;
      for (size_t done = 0; done < n; done += sizeof kZeros) {
        c = PortableUpdate(c, kZeros, std::min(sizeof kZeros, n - done));
      }
      basis[bit] = c;
    }
    for (int k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (int i = 0; i < 8; ++i) {
          if (b & (1u << i)) v ^= basis[8 * k + i];
        }
        t[k][b] = v;
      }
    }
  }

  uint32_t operator()(uint32_t c) const {
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^
           t[3][c >> 24];
  }
};

struct ShiftTables {
  ZeroShift long_shift{kLongBlock};
  ZeroShift short_shift{kShortBlock};
};

const ShiftTables& Shifts() {
  static const ShiftTables* const tables = new ShiftTables();
  return *tables;
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);  // x86 is little-endian, as crc32 expects
  return v;
}

template <size_t kBlock>
KOP_CRC32_TARGET inline uint32_t ThreeWay(uint32_t crc, const uint8_t*& p,
                                          size_t& n, const ZeroShift& shift) {
  while (n >= 3 * kBlock) {
    uint64_t c0 = crc, c1 = 0, c2 = 0;
    const uint8_t* const end = p + kBlock;
    do {
      c0 = _mm_crc32_u64(c0, Load64(p));
      c1 = _mm_crc32_u64(c1, Load64(p + kBlock));
      c2 = _mm_crc32_u64(c2, Load64(p + 2 * kBlock));
      p += 8;
    } while (p < end);
    // crc(A ++ B) = shift_|B|(crc(A)) ^ crc_from_zero(B)
    crc = shift(static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
    crc = shift(crc) ^ static_cast<uint32_t>(c2);
    p += 2 * kBlock;
    n -= 3 * kBlock;
  }
  return crc;
}

KOP_CRC32_TARGET uint32_t HardwareUpdate(uint32_t crc, const uint8_t* p,
                                         size_t n) {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc = _mm_crc32_u8(crc, *p++);
    --n;
  }
  if (n >= 3 * kShortBlock) {
    const ShiftTables& shifts = Shifts();
    crc = ThreeWay<kLongBlock>(crc, p, n, shifts.long_shift);
    crc = ThreeWay<kShortBlock>(crc, p, n, shifts.short_shift);
  }
  uint64_t c = crc;
  while (n >= 8) {
    c = _mm_crc32_u64(c, Load64(p));
    p += 8;
    n -= 8;
  }
  crc = static_cast<uint32_t>(c);
  while (n > 0) {
    crc = _mm_crc32_u8(crc, *p++);
    --n;
  }
  return crc;
}

bool DetectHardware() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

#endif  // __x86_64__

}  // namespace

bool Crc32cHardwareAvailable() {
#if defined(__x86_64__)
  static const bool available = DetectHardware();
  return available;
#else
  return false;
#endif
}

uint32_t Crc32cPortable(std::span<const uint8_t> data, uint32_t crc) {
  return ~PortableUpdate(~crc, data.data(), data.size());
}

uint32_t Crc32cHardware(std::span<const uint8_t> data, uint32_t crc) {
#if defined(__x86_64__)
  if (Crc32cHardwareAvailable()) {
    return ~HardwareUpdate(~crc, data.data(), data.size());
  }
#endif
  return Crc32cPortable(data, crc);
}

uint32_t Crc32c(std::span<const uint8_t> data, uint32_t crc) {
  return Crc32cHardware(data, crc);
}

}  // namespace kop::protocol
