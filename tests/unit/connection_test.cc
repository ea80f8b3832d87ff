// The connection state machine against a recording sink: ApiVersions and
// Metadata answers, KIP-511 fallback, and closing on what Kafka closes on.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core_test_util.h"
#include "kop/core/broker.h"
#include "kop/protocol/api.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/api_versions_request.h"
#include "kop/protocol/messages/api_versions_response.h"
#include "kop/protocol/messages/metadata_request.h"
#include "kop/protocol/messages/metadata_response.h"
#include "kop/protocol/messages/request_header.h"
#include "kop/protocol/messages/response_header.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity

using testing::DecodeResponse;
using testing::RecordingSink;
using testing::RequestFrame;

struct Fixture {
  std::unique_ptr<Broker> broker = Broker::Create({
      {"kop.node.id", "7"},
      {"kop.advertised.host", "kafka.example"},
      {"kop.advertised.port", "19092"},
      {"kop.cluster.id", "cluster-a"},
  });
  RecordingSink sink;
  // Metadata only: no log and no topic administration, so ApiVersions
  // lists exactly Metadata and ApiVersions.
  testing::FakeTopics topics = [] {
    testing::FakeTopics t;
    t.admin = false;
    return t;
  }();
  std::unique_ptr<Connection> conn = broker->Accept(&sink, &topics);
};

TEST_CASE("ApiVersions advertises exactly the implemented APIs", "[core]") {
  for (int16_t v = 0; v <= 4; ++v) {
    Fixture f;
    ApiVersionsRequest req;
    req.client_software_name = "kop-test";
    req.client_software_version = "1.0";
    f.conn->OnFrame(RequestFrame(18, v, 42 + v, req));
    REQUIRE(f.sink.frames.size() == 1);
    auto resp =
        DecodeResponse<ApiVersionsResponse>(f.sink.frames[0], 18, v, 42 + v);
    CHECK(resp.error_code == 0);
    REQUIRE(resp.api_keys.size() == 2);
    CHECK(resp.api_keys[0].api_key == 3);
    CHECK(resp.api_keys[0].max_version == 13);
    CHECK(resp.api_keys[1].api_key == 18);
    CHECK(resp.api_keys[1].min_version == 0);
    CHECK(resp.api_keys[1].max_version == 4);
    CHECK_FALSE(f.sink.closed);
  }
}

TEST_CASE("a newer ApiVersions gets the v0 answer with UNSUPPORTED_VERSION",
          "[core]") {
  Fixture f;
  // v99 with a body we cannot parse: KIP-511 says answer anyway.
  std::vector<uint8_t> frame = {0, 18, 0, 99, 0, 0, 0, 5, 0xff, 0xff, 1, 2, 3};
  f.conn->OnFrame(frame);
  REQUIRE(f.sink.frames.size() == 1);
  auto resp = DecodeResponse<ApiVersionsResponse>(f.sink.frames[0], 18, 0, 5);
  CHECK(resp.error_code == Code(ErrorCode::UNSUPPORTED_VERSION));
  REQUIRE(resp.api_keys.size() == 1);
  CHECK(resp.api_keys[0].api_key == 18);
  CHECK(resp.api_keys[0].max_version == 4);
}

TEST_CASE("ApiVersions v3 with an invalid software name is INVALID_REQUEST",
          "[core]") {
  Fixture f;
  ApiVersionsRequest req;
  req.client_software_name = "bad name!";
  req.client_software_version = "1";
  f.conn->OnFrame(RequestFrame(18, 3, 1, req));
  REQUIRE(f.sink.frames.size() == 1);
  auto resp = DecodeResponse<ApiVersionsResponse>(f.sink.frames[0], 18, 3, 1);
  CHECK(resp.error_code == Code(ErrorCode::INVALID_REQUEST));
}

MetadataRequest Named(std::vector<std::string> names, bool auto_create) {
  MetadataRequest req;
  req.topics.emplace();
  for (auto& n : names) req.topics->emplace_back().name = n;
  req.allow_auto_topic_creation = auto_create;
  return req;
}

TEST_CASE(
    "Metadata names this broker and the topic's partitions in every version",
    "[core]") {
  for (int16_t v = 0; v <= 13; ++v) {
    Fixture f;
    f.topics.topics["orders"] = 3;
    // allow_auto_topic_creation=false cannot be written before v4.
    f.conn->OnFrame(RequestFrame(3, v, 9, Named({"orders", "missing"}, v < 4)));
    REQUIRE(f.sink.frames.size() == 1);
    auto resp = DecodeResponse<MetadataResponse>(f.sink.frames[0], 3, v, 9);
    REQUIRE(resp.brokers.size() == 1);
    CHECK(resp.brokers[0].node_id == 7);
    CHECK(resp.brokers[0].host == "kafka.example");
    CHECK(resp.brokers[0].port == 19092);
    if (v >= 2) CHECK(resp.cluster_id == "cluster-a");
    REQUIRE(resp.topics.size() == 2);
    CHECK(resp.topics[0].name == "orders");
    CHECK(resp.topics[0].error_code == 0);
    REQUIRE(resp.topics[0].partitions.size() == 3);
    for (int p = 0; p < 3; ++p) {
      CHECK(resp.topics[0].partitions[p].partition_index == p);
      CHECK(resp.topics[0].partitions[p].leader_id == 7);
      CHECK(resp.topics[0].partitions[p].replica_nodes ==
            std::vector<int32_t>{7});
    }
    if (v >= 10) CHECK(resp.topics[0].topic_id != Uuid{});
    CHECK(resp.topics[1].name == "missing");
    // Before v4 there is no allow_auto_topic_creation: Kafka creates.
    CHECK(resp.topics[1].error_code ==
          (v < 4 ? 0 : Code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)));
  }
}

TEST_CASE("Metadata auto-creates when asked and lists every topic", "[core]") {
  Fixture f;
  f.topics.topics["a"] = 2;
  f.topics.auto_create_partitions = 4;
  f.conn->OnFrame(RequestFrame(3, 12, 1, Named({"fresh"}, true)));
  auto created =
      DecodeResponse<MetadataResponse>(f.sink.frames.at(0), 3, 12, 1);
  REQUIRE(created.topics.size() == 1);
  CHECK(created.topics[0].error_code == 0);
  CHECK(created.topics[0].partitions.size() == 4);

  MetadataRequest all;  // null topics: every topic (v1+)
  all.topics.reset();
  f.conn->OnFrame(RequestFrame(3, 12, 2, all));
  auto listed = DecodeResponse<MetadataResponse>(f.sink.frames.at(1), 3, 12, 2);
  REQUIRE(listed.topics.size() == 2);
  CHECK(listed.topics[0].name == "a");
  CHECK(listed.topics[1].name == "fresh");
  // Topic IDs are stable across requests.
  CHECK(listed.topics[1].topic_id == created.topics[0].topic_id);
}

TEST_CASE("responses leave in request order when completions do not",
          "[core]") {
  Fixture f;
  f.topics.topics["t"] = 1;
  f.topics.defer = true;
  f.conn->OnFrame(RequestFrame(3, 9, 1, Named({"t"}, false)));
  f.conn->OnFrame(RequestFrame(3, 9, 2, Named({"t"}, false)));
  ApiVersionsRequest av;
  f.conn->OnFrame(RequestFrame(18, 2, 3, av));  // answers at once, but waits
  CHECK(f.sink.frames.empty());
  REQUIRE(f.topics.deferred() == 2);
  f.topics.RunDeferredNewestFirst();
  REQUIRE(f.sink.frames.size() == 3);
  DecodeResponse<MetadataResponse>(f.sink.frames[0], 3, 9, 1);
  DecodeResponse<MetadataResponse>(f.sink.frames[1], 3, 9, 2);
  DecodeResponse<ApiVersionsResponse>(f.sink.frames[2], 18, 2, 3);
}

TEST_CASE("a completion after the connection is gone is dropped", "[core]") {
  Fixture f;
  f.topics.defer = true;
  f.conn->OnFrame(RequestFrame(3, 9, 1, Named({"t"}, true)));
  f.conn.reset();
  f.topics.RunDeferredNewestFirst();  // ASan would catch a use after free
  CHECK(f.sink.frames.empty());
}

TEST_CASE("the connection closes on what Kafka closes on", "[core]") {
  SECTION("unknown API key") {
    Fixture f;
    f.conn->OnFrame(
        std::vector<uint8_t>{0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff});
    CHECK(f.sink.closed);
    CHECK(f.sink.frames.empty());
  }
  SECTION("unsupported version of a served API") {
    Fixture f;
    f.conn->OnFrame(std::vector<uint8_t>{0, 3, 0, 99, 0, 0, 0, 1, 0xff, 0xff});
    CHECK(f.sink.closed);
  }
  SECTION("a frame shorter than a header") {
    Fixture f;
    f.conn->OnFrame(std::vector<uint8_t>{0, 18, 0});
    CHECK(f.sink.closed);
  }
  SECTION("a truncated body, at every length") {
    MetadataRequest req;
    req.topics.emplace();
    req.topics->emplace_back().name = "orders";
    auto full = RequestFrame(3, 12, 3, req);
    for (size_t cut = 8; cut < full.size(); ++cut) {
      Fixture f;
      f.conn->OnFrame(std::span(full.data(), cut));
      CHECK(f.sink.closed);
      CHECK(f.sink.frames.empty());
    }
  }
  SECTION("a hostile array count") {
    Fixture f;
    // Metadata v1: topics count 0x7fffffff with 2 bytes behind it.
    f.conn->OnFrame(std::vector<uint8_t>{0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff,
                                         0x7f, 0xff, 0xff, 0xff, 0, 1});
    CHECK(f.sink.closed);
  }
  SECTION("nothing is answered after closing") {
    Fixture f;
    f.conn->OnFrame(std::vector<uint8_t>{0, 18, 0});
    ApiVersionsRequest req;
    f.conn->OnFrame(RequestFrame(18, 0, 1, req));
    CHECK(f.sink.frames.empty());
  }
}

}  // namespace
}  // namespace kop::core
