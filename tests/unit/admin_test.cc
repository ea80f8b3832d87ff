// CreateTopics, DeleteTopics and CreatePartitions over in-memory topics.
#include <catch2/catch.hpp>

#include "core_test_util.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/api_versions_request.h"
#include "kop/protocol/messages/api_versions_response.h"
#include "kop/protocol/messages/create_partitions_request.h"
#include "kop/protocol/messages/create_partitions_response.h"
#include "kop/protocol/messages/create_topics_request.h"
#include "kop/protocol/messages/create_topics_response.h"
#include "kop/protocol/messages/delete_topics_request.h"
#include "kop/protocol/messages/delete_topics_response.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity
using testing::DecodeResponse;
using testing::RequestFrame;

struct Fixture {
  std::unique_ptr<Broker> broker = Broker::Create({{"kop.node.id", "1"}});
  testing::RecordingSink sink;
  testing::FakeTopics topics;
  testing::FakeLog log;
  std::unique_ptr<Connection> conn = broker->Accept(&sink, &topics, &log);
};

CreateTopicsRequest Create(std::string name, int32_t partitions,
                           int16_t rf = 1) {
  CreateTopicsRequest req;
  auto& t = req.topics.emplace_back();
  t.name = std::move(name);
  t.num_partitions = partitions;
  t.replication_factor = rf;
  return req;
}

TEST_CASE(
    "CreateTopics creates, refuses duplicates and what Pulsar cannot honour",
    "[admin]") {
  for (int16_t v : {2, 5, 7}) {
    Fixture f;
    f.conn->OnFrame(RequestFrame(19, v, 1, Create("orders", 3)));
    auto r =
        DecodeResponse<CreateTopicsResponse>(f.sink.frames.back(), 19, v, 1);
    CHECK(r.topics.at(0).error_code == 0);
    CHECK(f.topics.topics["orders"] == 3);
    if (v >= 5) {
      CHECK(r.topics[0].num_partitions == 3);
      // Java's AdminClient reads configs of a created topic: never null.
      CHECK(r.topics[0].configs.has_value());
    }

    f.conn->OnFrame(RequestFrame(19, v, 2, Create("orders", 3)));
    auto again =
        DecodeResponse<CreateTopicsResponse>(f.sink.frames.back(), 19, v, 2);
    CHECK(again.topics[0].error_code == Code(ErrorCode::TOPIC_ALREADY_EXISTS));

    auto with_config = Create("configured", 1);
    auto& c = with_config.topics[0].configs.emplace_back();
    c.name = "retention.ms";
    c.value = "1000";
    f.conn->OnFrame(RequestFrame(19, v, 3, with_config));
    auto refused =
        DecodeResponse<CreateTopicsResponse>(f.sink.frames.back(), 19, v, 3);
    CHECK(refused.topics[0].error_code == Code(ErrorCode::INVALID_CONFIG));
    CHECK(f.topics.topics.count("configured") == 0);

    f.conn->OnFrame(RequestFrame(19, v, 4, Create("zero", 0)));
    CHECK(DecodeResponse<CreateTopicsResponse>(f.sink.frames.back(), 19, v, 4)
              .topics[0]
              .error_code == Code(ErrorCode::INVALID_PARTITIONS));
    // -1: the default partition count.
    f.conn->OnFrame(RequestFrame(19, v, 5, Create("defaulted", -1, -1)));
    CHECK(DecodeResponse<CreateTopicsResponse>(f.sink.frames.back(), 19, v, 5)
              .topics[0]
              .error_code == 0);
    CHECK(f.topics.topics["defaulted"] == 1);
  }
}

TEST_CASE("validate_only creates nothing", "[admin]") {
  Fixture f;
  auto req = Create("dry", 2);
  req.validate_only = true;
  f.conn->OnFrame(RequestFrame(19, 7, 1, req));
  CHECK(DecodeResponse<CreateTopicsResponse>(f.sink.frames.back(), 19, 7, 1)
            .topics[0]
            .error_code == 0);
  CHECK(f.topics.topics.empty());
}

TEST_CASE("DeleteTopics by name in every version; by ID is UNKNOWN_TOPIC_ID",
          "[admin]") {
  for (int16_t v : {1, 5, 6}) {
    Fixture f;
    f.topics.topics["gone"] = 2;
    DeleteTopicsRequest req;
    if (v < 6) {
      req.topic_names = {"gone", "never"};
    } else {
      req.topics.emplace_back().name = "gone";
      req.topics.emplace_back().name = "never";
      auto& by_id = req.topics.emplace_back();
      by_id.name.reset();
      by_id.topic_id[0] = 1;
    }
    f.conn->OnFrame(RequestFrame(20, v, 1, req));
    auto r =
        DecodeResponse<DeleteTopicsResponse>(f.sink.frames.back(), 20, v, 1);
    CHECK(r.responses.at(0).error_code == 0);
    CHECK(r.responses.at(1).error_code ==
          Code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
    if (v == 6)
      CHECK(r.responses.at(2).error_code == Code(ErrorCode::UNKNOWN_TOPIC_ID));
    CHECK(f.topics.topics.empty());
  }
}

TEST_CASE("CreatePartitions grows and never shrinks", "[admin]") {
  Fixture f;
  f.topics.topics["t"] = 2;
  CreatePartitionsRequest req;
  auto& t = req.topics.emplace_back();
  t.name = "t";
  t.count = 5;
  t.assignments.reset();
  f.conn->OnFrame(RequestFrame(37, 3, 1, req));
  CHECK(DecodeResponse<CreatePartitionsResponse>(f.sink.frames.back(), 37, 3, 1)
            .results.at(0)
            .error_code == 0);
  CHECK(f.topics.topics["t"] == 5);
  req.topics[0].count = 4;
  f.conn->OnFrame(RequestFrame(37, 3, 2, req));
  CHECK(DecodeResponse<CreatePartitionsResponse>(f.sink.frames.back(), 37, 3, 2)
            .results.at(0)
            .error_code == Code(ErrorCode::INVALID_PARTITIONS));
}

TEST_CASE("admin APIs are advertised only when the port supports them",
          "[admin]") {
  for (bool admin : {true, false}) {
    Fixture f;
    f.topics.admin = admin;
    ApiVersionsRequest av;
    av.client_software_name = "t";
    av.client_software_version = "1";
    f.conn->OnFrame(RequestFrame(18, 3, 1, av));
    auto r =
        DecodeResponse<ApiVersionsResponse>(f.sink.frames.back(), 18, 3, 1);
    int found = 0;
    for (const auto& k : r.api_keys)
      found += k.api_key == 19 || k.api_key == 20 || k.api_key == 37;
    CHECK(found == (admin ? 3 : 0));
  }
}

}  // namespace
}  // namespace kop::core
