// DescribeUserScramCredentials (key 50, KIP-554): which SCRAM mechanisms
// each user has a credential for, with its iterations; never salts or keys.
// Credentials live in Pulsar's metadata store (SecurityPort::
// ListScramCredentials). With Pulsar authorization on, only a superuser may
// ask (CheckClusterAdmin); others get CLUSTER_AUTHORIZATION_FAILED.
#include <map>
#include <memory>
#include <set>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/describe_user_scram_credentials_request.h"
#include "kop/protocol/messages/describe_user_scram_credentials_response.h"
#include "sasl/scram.h"

namespace kop::core {

using protocol::Code;
using protocol::DescribeUserScramCredentialsRequest;
using protocol::DescribeUserScramCredentialsResponse;

namespace {

using Infos = std::vector<ScramCredentialInfo>;
using Result =
    DescribeUserScramCredentialsResponse::DescribeUserScramCredentialsResult;

// `named` empty: every user with a credential, by name. Otherwise one result
// per name, in request order, as Kafka answers.
std::unique_ptr<DescribeUserScramCredentialsResponse> Answer(
    const std::vector<std::string>& named, const Infos& infos) {
  std::map<std::string, std::vector<const ScramCredentialInfo*>> by_user;
  for (const auto& info : infos) by_user[info.user].push_back(&info);
  auto response = std::make_unique<DescribeUserScramCredentialsResponse>();
  response->error_message = std::nullopt;
  auto add = [&](const std::string& user) -> Result& {
    auto& r = response->results.emplace_back();
    r.user = user;
    r.error_message = std::nullopt;
    auto it = by_user.find(user);
    if (it == by_user.end()) return r;
    for (const ScramCredentialInfo* info : it->second) {
      auto& c = r.credential_infos.emplace_back();
      c.mechanism = sasl::ScramMechanismType(info->mechanism);
      c.iterations = info->iterations;
    }
    return r;
  };
  if (named.empty()) {
    for (const auto& [user, unused] : by_user) add(user);
    return response;
  }
  std::map<std::string, int> seen;
  for (const auto& user : named) ++seen[user];
  for (const auto& user : named) {
    Result& r = add(user);
    if (seen[user] > 1) {
      r.credential_infos.clear();
      r.error_code = Code(ErrorCode::DUPLICATE_RESOURCE);
      r.error_message =
          "Cannot describe SCRAM credentials for the same user "
          "twice in a single request";
    } else if (r.credential_infos.empty()) {
      r.error_code = Code(ErrorCode::RESOURCE_NOT_FOUND);
      r.error_message =
          "Attempt to describe a user credential that does not exist";
    }
  }
  return response;
}

}  // namespace

void HandleDescribeUserScramCredentials(const RequestContext& ctx,
                                        const protocol::Message& message,
                                        Reply reply) {
  const auto& request =
      static_cast<const DescribeUserScramCredentialsRequest&>(message);
  std::vector<std::string> named;
  if (request.users) {
    for (const auto& u : *request.users) named.push_back(u.name);
  }
  CheckClusterAdmin(ctx, [ctx, named = std::move(named),
                          reply = std::move(reply)](ErrorCode allowed) mutable {
    if (allowed != ErrorCode::NONE) {
      auto response = std::make_unique<DescribeUserScramCredentialsResponse>();
      response->error_code = Code(ErrorCode::CLUSTER_AUTHORIZATION_FAILED);
      response->error_message =
          "DescribeUserScramCredentials needs a Pulsar superuser role";
      reply(std::move(response));
      return;
    }
    ctx.security->ListScramCredentials(
        [named = std::move(named), reply = std::move(reply)](
            ErrorCode code, Infos infos) mutable {
          if (code != ErrorCode::NONE) {
            auto response =
                std::make_unique<DescribeUserScramCredentialsResponse>();
            response->error_code = Code(code);
            response->error_message =
                "the SCRAM credentials could not be read from Pulsar's "
                "metadata store";
            reply(std::move(response));
            return;
          }
          reply(Answer(named, infos));
        });
  });
}

}  // namespace kop::core
