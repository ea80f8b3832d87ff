// CreatePartitions (key 37): grows a partitioned Pulsar topic.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/create_partitions_request.h"
#include "kop/protocol/messages/create_partitions_response.h"

namespace kop::core {

using protocol::Code;
using protocol::CreatePartitionsRequest;
using protocol::CreatePartitionsResponse;
using protocol::ErrorCode;

void HandleCreatePartitions(const RequestContext& ctx,
                            const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const CreatePartitionsRequest&>(message);
  auto pending = std::make_shared<PendingReply<CreatePartitionsResponse>>();
  pending->reply = std::move(reply);
  for (size_t i = 0; i < request.topics.size(); ++i) {
    const CreatePartitionsRequest::CreatePartitionsTopic& t = request.topics[i];
    CreatePartitionsResponse::CreatePartitionsTopicResult& out =
        pending->response->results.emplace_back();
    out.name = t.name;
    if (const ErrorCode refused = CheckClientTopic(
            *ctx.broker, t.name, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        refused != ErrorCode::NONE) {
      out.error_code = Code(refused);
      out.error_message = RefusalMessage(refused);
      continue;
    }
    if (t.assignments.has_value() && !t.assignments->empty()) {
      out.error_code = Code(ErrorCode::INVALID_REQUEST);
      out.error_message =
          "manual replica assignment is not supported on Pulsar";
      continue;
    }
    if (t.count < 1) {
      out.error_code = Code(ErrorCode::INVALID_PARTITIONS);
      out.error_message = "partition count must be at least 1";
      continue;
    }
    if (request.validate_only) continue;
    ++pending->outstanding;
    ctx.topics->CreatePartitions(
        t.name, t.count, [pending, i](ErrorCode error, std::string why) {
          CreatePartitionsResponse::CreatePartitionsTopicResult& res =
              pending->response->results[i];
          res.error_code = Code(error);
          if (error != ErrorCode::NONE) res.error_message = std::move(why);
          pending->Done();
        });
  }
  pending->Done();
}

}  // namespace kop::core
