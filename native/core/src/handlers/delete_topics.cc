// DeleteTopics (key 20): deletes the Pulsar topic (all its partitions).
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/delete_topics_request.h"
#include "kop/protocol/messages/delete_topics_response.h"

namespace kop::core {

using protocol::Code;
using protocol::DeleteTopicsRequest;
using protocol::DeleteTopicsResponse;
using protocol::ErrorCode;

namespace {

// The names of v0-5's topic_names and v6's topics.
std::vector<std::string> TargetNames(const DeleteTopicsRequest& request) {
  std::vector<std::string> names = request.topic_names;
  for (const auto& t : request.topics) {
    if (t.name.has_value() && !t.name->empty()) names.push_back(*t.name);
  }
  return names;
}

// Everything after the topic check (topic_access.h).
void DeleteTopicsChecked(const RequestContext& ctx,
                         const DeleteTopicsRequest& request,
                         const TopicDecisions& decisions, Reply reply) {
  auto pending = std::make_shared<PendingReply<DeleteTopicsResponse>>();
  pending->reply = std::move(reply);
  // v0-5 name topics in topic_names; v6 in topics, by name or by ID.
  std::vector<std::pair<std::optional<std::string>, protocol::Uuid>> targets;
  for (const std::string& n : request.topic_names)
    targets.emplace_back(n, protocol::Uuid{});
  for (const auto& t : request.topics) targets.emplace_back(t.name, t.topic_id);
  for (size_t i = 0; i < targets.size(); ++i) {
    DeleteTopicsResponse::DeletableTopicResult& out =
        pending->response->responses.emplace_back();
    out.name = targets[i].first;
    out.topic_id = targets[i].second;
    if (!targets[i].first.has_value() || targets[i].first->empty()) {
      // Topic IDs are derived from names here and not indexed back.
      out.error_code = Code(ErrorCode::UNKNOWN_TOPIC_ID);
      continue;
    }
    const TopicDecision& access = decisions.find(*targets[i].first)->second;
    if (access.error != ErrorCode::NONE) {
      out.error_code = Code(access.error);
      out.error_message = access.message;
      continue;
    }
    ++pending->outstanding;
    ctx.topics->DeleteTopic(access.resolved,
                            [pending, i](ErrorCode error, std::string why) {
                              DeleteTopicsResponse::DeletableTopicResult& res =
                                  pending->response->responses[i];
                              res.error_code = Code(error);
                              if (error != ErrorCode::NONE)
                                res.error_message = std::move(why);
                              pending->Done();
                            });
  }
  pending->Done();
}

}  // namespace

void HandleDeleteTopics(const RequestContext& ctx,
                        const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const DeleteTopicsRequest&>(message);
  WithTopics(ctx, request,
             {TargetNames(request), TopicAction::kDelete,
              ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, ""},
             [ctx, reply = std::move(reply)](const DeleteTopicsRequest& r,
                                             const TopicDecisions& d) {
               DeleteTopicsChecked(ctx, r, d, reply);
             });
}

}  // namespace kop::core
