// Group metadata per tenant (kafkaEnableMultiTenantMetadata, issue 11): each
// SASL tenant's groups live in its own __consumer_offsets and are invisible
// to every other tenant, under the same group id.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core_test_util.h"
#include "kop/core/broker.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/describe_groups_request.h"
#include "kop/protocol/messages/describe_groups_response.h"
#include "kop/protocol/messages/find_coordinator_request.h"
#include "kop/protocol/messages/find_coordinator_response.h"
#include "kop/protocol/messages/list_groups_request.h"
#include "kop/protocol/messages/list_groups_response.h"
#include "kop/protocol/messages/offset_commit_request.h"
#include "kop/protocol/messages/offset_commit_response.h"
#include "kop/protocol/messages/offset_fetch_request.h"
#include "kop/protocol/messages/offset_fetch_response.h"
#include "kop/protocol/messages/sasl_authenticate_request.h"
#include "kop/protocol/messages/sasl_authenticate_response.h"
#include "kop/protocol/messages/sasl_handshake_request.h"
#include "kop/protocol/messages/sasl_handshake_response.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_security.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity

// One broker; each client authenticates with PLAIN as `user`.
struct Client {
  Client(Broker& broker, testing::FakeLog& log, testing::FakeSecurity& security,
         const std::string& user) {
    ListenerSecurity l;
    l.sasl = true;
    l.sasl_mechanisms = {"PLAIN"};
    conn = broker.Accept(&sink, &topics, &log, &security, l);
    SaslHandshakeRequest hs;
    hs.mechanism = "PLAIN";
    REQUIRE(Send<SaslHandshakeResponse>(17, 1, hs).error_code == 0);
    SaslAuthenticateRequest auth;
    const std::string plain =
        std::string(1, '\0') + user + std::string(1, '\0') + "token:good";
    auth.auth_bytes.assign(plain.begin(), plain.end());
    REQUIRE(Send<SaslAuthenticateResponse>(36, 2, auth).error_code == 0);
  }
  template <typename Response>
  Response Send(int16_t key, int16_t version, const Message& request) {
    return testing::Exchange<Response>(*conn, sink, corr, key, version,
                                       request);
  }
  int16_t FindCoordinator(const std::string& group) {
    FindCoordinatorRequest req;
    req.key = group;
    return Send<FindCoordinatorResponse>(10, 3, req).error_code;
  }
  int16_t Commit(const std::string& group, int64_t offset) {
    OffsetCommitRequest req;
    req.group_id = group;
    req.generation_id_or_member_epoch = -1;  // a standalone consumer
    auto& t = req.topics.emplace_back();
    t.name = "orders";
    t.partitions.emplace_back().committed_offset = offset;
    auto r = Send<OffsetCommitResponse>(8, 8, req);
    return r.topics.at(0).partitions.at(0).error_code;
  }
  int64_t Committed(const std::string& group) {
    OffsetFetchRequest req;
    req.group_id = group;
    req.topics.emplace();
    auto& t = req.topics->emplace_back();
    t.name = "orders";
    t.partition_indexes = {0};
    auto r = Send<OffsetFetchResponse>(9, 7, req);
    REQUIRE(r.error_code == 0);
    return r.topics.at(0).partitions.at(0).committed_offset;
  }
  std::vector<std::string> Groups() {
    auto r = Send<ListGroupsResponse>(16, 4, ListGroupsRequest{});
    std::vector<std::string> ids;
    for (const auto& g : r.groups) ids.push_back(g.group_id);
    return ids;
  }

  testing::RecordingSink sink;
  testing::FakeTopics topics;
  std::unique_ptr<Connection> conn;
  int32_t corr = 0;
};

struct Fixture {
  explicit Fixture(const std::string& per_tenant = "true") {
    broker = Broker::Create({{"kop.node.id", "1"},
                             {"offsetsTopicNumPartitions", "1"},
                             {"kafkaEnableMultiTenantMetadata", per_tenant}});
    security.enabled = false;
    security.credentials[{"token", "good"}] = {"someone", 0};
  }
  std::unique_ptr<Broker> broker;
  testing::FakeLog log;
  testing::FakeSecurity security;
};

TEST_CASE("each tenant's groups live in its own __consumer_offsets",
          "[tenancy]") {
  Fixture f;
  Client acme(*f.broker, f.log, f.security, "acme/apps");
  Client globex(*f.broker, f.log, f.security, "globex");
  REQUIRE(acme.FindCoordinator("g") == 0);
  REQUIRE(globex.FindCoordinator("g") == 0);
  CHECK(
      acme.topics.offsets_topics_asked ==
      std::vector<std::string>{"persistent://acme/__kafka/__consumer_offsets"});
  CHECK(globex.topics.offsets_topics_asked ==
        std::vector<std::string>{
            "persistent://globex/__kafka/__consumer_offsets"});

  // The same group id is two groups: neither sees the other's offsets.
  CHECK(acme.Commit("g", 42) == 0);
  CHECK(acme.Committed("g") == 42);
  CHECK(globex.Committed("g") == -1);
  CHECK(globex.Commit("g", 7) == 0);
  CHECK(acme.Committed("g") == 42);
  CHECK(globex.Committed("g") == 7);

  CHECK(acme.Commit("acme-only", 1) == 0);
  auto acme_groups = acme.Groups();
  std::sort(acme_groups.begin(), acme_groups.end());
  CHECK(acme_groups == std::vector<std::string>{"acme-only", "g"});
  CHECK(globex.Groups() == std::vector<std::string>{"g"});

  // Each tenant's records went to its own offsets topic.
  CHECK(f.log.partitions.count(
            {"persistent://acme/__kafka/__consumer_offsets", 0}) == 1);
  CHECK(f.log.partitions.count(
            {"persistent://globex/__kafka/__consumer_offsets", 0}) == 1);
  CHECK(f.log.partitions.count(
            {"persistent://public/__kafka/__consumer_offsets", 0}) == 0);

  // Ownership changes reach the tenant's own coordinator only.
  f.broker->OffsetsPartitionOwnership("globex", 0, false);
  CHECK(acme.Committed("g") == 42);
}

TEST_CASE("with kafkaEnableMultiTenantMetadata=false every tenant shares one",
          "[tenancy]") {
  Fixture f("false");
  Client acme(*f.broker, f.log, f.security, "acme/apps");
  Client globex(*f.broker, f.log, f.security, "globex");
  REQUIRE(acme.FindCoordinator("g") == 0);
  CHECK(acme.topics.offsets_topics_asked ==
        std::vector<std::string>{
            "persistent://public/__kafka/__consumer_offsets"});
  CHECK(acme.Commit("g", 42) == 0);
  CHECK(globex.Groups() == std::vector<std::string>{"g"});
}

}  // namespace
}  // namespace kop::core
