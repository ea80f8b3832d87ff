// The group coordinators of one broker, one per tenant when group metadata
// is kept per tenant (KoP's kafkaEnableMultiTenantMetadata, default true):
// tenant T's groups live in persistent://T/<kafkaMetadataNamespace>/
// __consumer_offsets, so one tenant's ListGroups, DescribeGroups and group
// ids never meet another's (issue 11). With it off, every connection shares
// the kafkaMetadataTenant coordinator, as before.
//
// A connection's tenant is the one of its namespace (Session::topic_prefix,
// from the SASL user name); a connection without one uses
// kafkaMetadataTenant, whose coordinator is the one KoP always had, with the
// same __consumer_offsets layout.
//
// Coordinators are created on first use and live as long as the broker:
// connections and parked group calls hold plain pointers to them. A SASL
// user name may claim any well-formed tenant, so their number is capped
// (kMaxTenants); past it, For answers nullptr and the caller refuses the
// request.
//
// Threads: any. The map has its own mutex; each coordinator has its own.
#ifndef KOP_CORE_GROUPS_COORDINATOR_SET_H_
#define KOP_CORE_GROUPS_COORDINATOR_SET_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "groups/coordinator.h"

namespace kop::core::groups {

class CoordinatorSet {
 public:
  static constexpr size_t kMaxTenants = 1024;

  // `base` is the kafkaMetadataTenant coordinator's config; another tenant's
  // differs only in its offsets topic.
  CoordinatorSet(GroupConfig base, std::string metadata_tenant,
                 std::string metadata_namespace, bool per_tenant, Clock* clock);

  // The tenant whose coordinator serves a connection with namespace prefix
  // `topic_prefix` ("persistent://tenant/ns/", or "" for none).
  std::string TenantOf(std::string_view topic_prefix) const;
  // That tenant's coordinator, created on first use; nullptr past
  // kMaxTenants.
  GroupCoordinator* For(std::string_view topic_prefix);
  // The coordinator of `tenant` if it exists (ownership changes do not
  // create one: loading waits for the first request).
  GroupCoordinator* Existing(std::string_view tenant);

  // Tick of every coordinator, outside the map's lock.
  void Tick();
  // Pulsar moved a bundle of `tenant`'s metadata namespace.
  void Ownership(std::string_view tenant, int32_t partition, bool owned);

  // persistent://<tenant>/<metadata namespace>/__consumer_offsets.
  std::string OffsetsTopic(std::string_view tenant) const;

 private:
  const GroupConfig base_;
  const std::string metadata_tenant_;
  const std::string metadata_namespace_;
  const bool per_tenant_;
  Clock* const clock_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<GroupCoordinator>, std::less<>>
      coordinators_;
  bool warned_full_ = false;
};

}  // namespace kop::core::groups

#endif  // KOP_CORE_GROUPS_COORDINATOR_SET_H_
