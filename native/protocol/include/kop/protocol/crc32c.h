// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of a
// Kafka v2 record batch (KIP-98), over bytes [attributes, end of batch).
#ifndef KOP_PROTOCOL_CRC32C_H_
#define KOP_PROTOCOL_CRC32C_H_

#include <cstdint>
#include <span>

namespace kop::protocol {

// The CRC-32C of `data`, continuing from `crc`, the CRC of the bytes before
// it: Crc32c(b, Crc32c(a)) == Crc32c(a ++ b). Crc32c({}) == 0.
// Uses SSE4.2's crc32 instruction when the CPU has it (checked once).
uint32_t Crc32c(std::span<const uint8_t> data, uint32_t crc = 0);

// The two implementations behind Crc32c, for tests and benchmarks.
// Slicing-by-8 tables; any CPU.
uint32_t Crc32cPortable(std::span<const uint8_t> data, uint32_t crc = 0);
// Three interleaved crc32 instruction streams. Only call it when
// Crc32cHardwareAvailable(); elsewhere it falls back to the portable code.
uint32_t Crc32cHardware(std::span<const uint8_t> data, uint32_t crc = 0);
bool Crc32cHardwareAvailable();

}  // namespace kop::protocol

#endif  // KOP_PROTOCOL_CRC32C_H_
