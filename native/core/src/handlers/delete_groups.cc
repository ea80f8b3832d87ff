// DeleteGroups (key 42): empty groups only; their offsets and metadata get
// tombstones and their mirrored Pulsar subscriptions are removed.
//
// With Pulsar authorization on, deleting a group destroys its offsets and
// subscriptions, so the role must be allowed to consume (with the group id
// as subscription) every topic the group has offsets on; otherwise that
// group answers GROUP_AUTHORIZATION_FAILED and is left as it is.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/delete_groups_request.h"
#include "kop/protocol/messages/delete_groups_response.h"

namespace kop::core {

using protocol::Code;
using protocol::DeleteGroupsRequest;
using protocol::DeleteGroupsResponse;

namespace {

using Errors = std::vector<ErrorCode>;

// The groups not refused (NONE in `errors`) go to the coordinator.
void Delete(const RequestContext& ctx, std::vector<std::string> names,
            Errors errors, Reply reply) {
  std::vector<std::string> allowed;
  for (size_t i = 0; i < names.size(); ++i) {
    if (errors[i] == ErrorCode::NONE) allowed.push_back(names[i]);
  }
  ctx.groups->Delete(
      MakeCaller(ctx), allowed,
      [reply = std::move(reply), names = std::move(names),
       errors = std::move(errors)](Errors answers) mutable {
        auto response = std::make_unique<DeleteGroupsResponse>();
        size_t next = 0;
        for (size_t i = 0; i < names.size(); ++i) {
          auto& out = response->results.emplace_back();
          out.group_id = names[i];
          if (errors[i] == ErrorCode::NONE && next < answers.size()) {
            errors[i] = answers[next++];
          }
          out.error_code = Code(errors[i]);
        }
        reply(std::move(response));
      });
}

}  // namespace

void HandleDeleteGroups(const RequestContext& ctx,
                        const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const DeleteGroupsRequest&>(message);
  const ErrorCode group_error = Access(ctx).CheckGroup();
  const size_t n = request.groups_names.size();
  if (ctx.security == nullptr || !ctx.security->AuthorizationEnabled() ||
      group_error != ErrorCode::NONE) {
    return Delete(ctx, request.groups_names, Errors(n, group_error),
                  std::move(reply));
  }
  // One offsets fetch and one check per group, then the deletion.
  struct Pending {
    std::vector<std::string> names;
    Errors errors;
    size_t outstanding;
    Reply reply;
  };
  auto pending = std::make_shared<Pending>(Pending{request.groups_names,
                                                   Errors(n, ErrorCode::NONE),
                                                   n + 1, std::move(reply)});
  auto done = [ctx, pending] {
    if (--pending->outstanding == 0) {
      Delete(ctx, pending->names, pending->errors, pending->reply);
    }
  };
  for (size_t i = 0; i < n; ++i) {
    const std::string group = pending->names[i];
    ctx.groups->FetchOffsets(
        MakeCaller(ctx), group, std::nullopt,
        [ctx, pending, i, group, done](groups::FetchResult r) {
          const Access access(ctx);
          TopicQuery q{{},
                       TopicAction::kConsume,
                       ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                       group};
          for (const groups::FetchedOffset& f : r.offsets) {
            q.names.push_back(access.ClientName(f.topic));
          }
          access.Check(std::move(q), [pending, i, done](TopicDecisions d) {
            for (const auto& [name, decision] : d) {
              if (decision.error != ErrorCode::NONE) {
                pending->errors[i] = ErrorCode::GROUP_AUTHORIZATION_FAILED;
              }
            }
            done();
          });
        });
  }
  done();
}

}  // namespace kop::core
