// OffsetDelete (key 47, KIP-496): removes committed offsets of partitions
// the group does not consume (all of them for an empty group).
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/offset_delete_request.h"
#include "kop/protocol/messages/offset_delete_response.h"

namespace kop::core {

using protocol::Code;
using protocol::OffsetDeleteRequest;
using protocol::OffsetDeleteResponse;

void HandleOffsetDelete(const RequestContext& ctx,
                        const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const OffsetDeleteRequest&>(message);
  std::vector<groups::TopicPartition> partitions;
  auto response = std::make_shared<std::unique_ptr<OffsetDeleteResponse>>(
      std::make_unique<OffsetDeleteResponse>());
  for (const auto& topic : request.topics) {
    auto& out = (*response)->topics.emplace_back();
    out.name = topic.name;
    for (const auto& p : topic.partitions) {
      out.partitions.emplace_back().partition_index = p.partition_index;
      partitions.emplace_back(topic.name, p.partition_index);
    }
  }
  ctx.groups->DeleteOffsets(
      MakeCaller(ctx), request.group_id, std::move(partitions),
      [reply = std::move(reply), response](groups::OffsetDeleteResult r) {
        (*response)->error_code = Code(r.error_code);
        size_t i = 0;
        for (auto& topic : (*response)->topics) {
          for (auto& part : topic.partitions) {
            if (r.error_code == ErrorCode::NONE &&
                i < r.partition_errors.size()) {
              part.error_code = Code(r.partition_errors[i]);
            }
            ++i;
          }
        }
        reply(std::move(*response));
      });
}

}  // namespace kop::core
