#include "groups/coordinator_set.h"

#include <utility>
#include <vector>

#include "kop/core/log.h"

namespace kop::core::groups {

namespace {
constexpr std::string_view kPersistent = "persistent://";
}  // namespace

CoordinatorSet::CoordinatorSet(GroupConfig base, std::string metadata_tenant,
                               std::string metadata_namespace, bool per_tenant,
                               Clock* clock)
    : base_(std::move(base)),
      metadata_tenant_(std::move(metadata_tenant)),
      metadata_namespace_(std::move(metadata_namespace)),
      per_tenant_(per_tenant),
      clock_(clock) {
  // The kafkaMetadataTenant coordinator exists from the start, as the one
  // coordinator did before tenants had their own: ownership changes reach it
  // before any request does.
  For("");
}

std::string CoordinatorSet::TenantOf(std::string_view topic_prefix) const {
  if (!per_tenant_ || !topic_prefix.starts_with(kPersistent)) {
    return metadata_tenant_;
  }
  std::string_view rest = topic_prefix.substr(kPersistent.size());
  const size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return metadata_tenant_;
  return std::string(rest.substr(0, slash));
}

std::string CoordinatorSet::OffsetsTopic(std::string_view tenant) const {
  return std::string(kPersistent) + std::string(tenant) + "/" +
         metadata_namespace_ + "/__consumer_offsets";
}

GroupCoordinator* CoordinatorSet::For(std::string_view topic_prefix) {
  const std::string tenant = TenantOf(topic_prefix);
  bool full = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = coordinators_.find(tenant);
    if (it != coordinators_.end()) return it->second.get();
    if (coordinators_.size() < kMaxTenants) {
      GroupConfig config = base_;
      config.offsets_topic = OffsetsTopic(tenant);
      auto [added, _] = coordinators_.emplace(
          tenant,
          std::make_unique<GroupCoordinator>(std::move(config), clock_));
      return added->second.get();
    }
    full = !warned_full_;
    warned_full_ = true;
  }
  // Logged once, outside the lock (Log calls into Java).
  if (full) {
    Log(LogLevel::kError,
        "group coordinators for " + std::to_string(kMaxTenants) +
            " tenants exist; group requests of further tenants are refused");
  }
  return nullptr;
}

GroupCoordinator* CoordinatorSet::Existing(std::string_view tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = coordinators_.find(tenant);
  return it == coordinators_.end() ? nullptr : it->second.get();
}

void CoordinatorSet::Tick() {
  // Coordinators are never removed, so the pointers outlive the lock.
  std::vector<GroupCoordinator*> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.reserve(coordinators_.size());
    for (auto& [tenant, c] : coordinators_) all.push_back(c.get());
  }
  for (GroupCoordinator* c : all) c->Tick();
}

void CoordinatorSet::Ownership(std::string_view tenant, int32_t partition,
                               bool owned) {
  GroupCoordinator* c = Existing(tenant);
  if (c == nullptr) return;  // nothing loaded: the first request loads it
  if (owned) {
    c->Owned(partition);
  } else {
    c->Unload(partition);
  }
}

}  // namespace kop::core::groups
