// Frames recorded between real clients (kcat/librdkafka, Java kafka-clients
// 3.9 and 4.x, franz-go, confluent-kafka) and a real Kafka 4.4 broker
// (tests/fixtures/frames): every request and response decodes completely and
// re-encodes to the same bytes.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kop/protocol/api.h"
#include "kop/protocol/messages/produce_request.h"
#include "kop/protocol/messages/request_header.h"
#include "kop/protocol/messages/response_header.h"
#include "kop/protocol/record_batch.h"

namespace kop::protocol {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct Row {
  int16_t api_key;
  int16_t api_version;
  bool has_response;
  size_t request_offset;
  size_t response_offset;
};

std::vector<Row> ReadIndex(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);  // header
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, '\t')) cols.push_back(c);
    REQUIRE(cols.size() >= 8);
    rows.push_back(
        Row{static_cast<int16_t>(std::stoi(cols[2])),
            static_cast<int16_t>(std::stoi(cols[3])), cols[5] == "1",
            std::stoul(cols[6]),
            cols[7].empty() || cols[7] == "-" ? 0 : std::stoul(cols[7])});
  }
  return rows;
}

Bytes FrameAt(const std::vector<uint8_t>& file, size_t offset) {
  REQUIRE(offset + 4 <= file.size());
  Reader r(Bytes(file).subspan(offset, 4));
  const int32_t n = r.ReadInt32();
  REQUIRE(n >= 0);
  REQUIRE(offset + 4 + static_cast<size_t>(n) <= file.size());
  return Bytes(file).subspan(offset + 4, static_cast<size_t>(n));
}

// Decodes header + body from `frame` and re-encodes both.
void CheckFrame(Bytes frame, bool response, int16_t key, int16_t version) {
  Reader r(frame);
  std::unique_ptr<Message> header;
  int16_t header_version;
  if (response) {
    header = std::make_unique<ResponseHeader>();
    header_version = ResponseHeaderVersion(key, version);
  } else {
    header = std::make_unique<RequestHeader>();
    header_version = RequestHeaderVersion(key, version);
  }
  header->Decode(r, header_version);
  std::unique_ptr<Message> body = response ? NewResponse(key) : NewRequest(key);
  REQUIRE(body != nullptr);
  body->Decode(r, version);
  INFO((r.ok() ? std::string("ok")
               : r.error().what + " at " + std::to_string(r.error().offset)));
  REQUIRE(r.ok());
  REQUIRE(r.remaining() == 0);

  std::vector<uint8_t> again;
  Writer w(again);
  REQUIRE(header->Encode(w, header_version).ok());
  REQUIRE(body->Encode(w, version).ok());
  REQUIRE(again.size() == frame.size());
  REQUIRE(std::equal(again.begin(), again.end(), frame.begin()));
}

TEST_CASE("golden frames from real clients decode and re-encode byte for byte",
          "[golden]") {
  const fs::path root = fs::path(KOP_FIXTURES_DIR) / "frames";
  REQUIRE(fs::is_directory(root));
  int sessions = 0, frames = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!fs::exists(entry.path() / "index.tsv")) continue;
    ++sessions;
    const auto requests = ReadFile(entry.path() / "requests.bin");
    const auto responses = ReadFile(entry.path() / "responses.bin");
    for (const Row& row : ReadIndex(entry.path() / "index.tsv")) {
      INFO(entry.path().filename().string()
           << " api " << row.api_key << " v" << row.api_version);
      CheckFrame(FrameAt(requests, row.request_offset), false, row.api_key,
                 row.api_version);
      ++frames;
      if (row.has_response) {
        CheckFrame(FrameAt(responses, row.response_offset), true, row.api_key,
                   row.api_version);
        ++frames;
      }
    }
  }
  CHECK(sessions >= 30);
  CHECK(frames > 500);
}

TEST_CASE(
    "batches written by real clients validate, and a flipped bit is caught",
    "[golden]") {
  const fs::path root = fs::path(KOP_FIXTURES_DIR) / "frames";
  int batches = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.path().filename().string().find("produce") == std::string::npos)
      continue;
    const auto requests = ReadFile(entry.path() / "requests.bin");
    for (const Row& row : ReadIndex(entry.path() / "index.tsv")) {
      if (row.api_key != 0) continue;
      INFO(entry.path().filename().string());
      Bytes frame = FrameAt(requests, row.request_offset);
      Reader r(frame);
      RequestHeader h;
      h.Decode(r, RequestHeaderVersion(0, row.api_version));
      ProduceRequest produce;
      produce.Decode(r, row.api_version);
      REQUIRE(r.ok());
      for (const auto& topic : produce.topic_data) {
        for (const auto& part : topic.partition_data) {
          std::vector<uint8_t> scratch;
          auto batch = ParseProduceBatch(part.records.data, scratch);
          REQUIRE(batch.ok());
          CHECK(batch->header().records_count > 0);
          ++batches;
          // Any single bit flipped after the CRC field breaks the CRC.
          std::vector<uint8_t> copy(part.records.data.begin(),
                                    part.records.data.end());
          for (size_t at :
               {kBatchAttributesOffset, copy.size() / 2, copy.size() - 1}) {
            copy[at] ^= 0x10;
            auto bad = RecordBatchView::Parse(copy);
            if (bad.ok()) CHECK_FALSE(bad->CheckCrc().ok());
            copy[at] ^= 0x10;
          }
        }
      }
    }
  }
  CHECK(batches >= 40);
}

}  // namespace
}  // namespace kop::protocol
