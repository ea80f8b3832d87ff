// An in-memory TopicPort for tests and fuzzers: topics in a map, answers
// immediately or, when `defer` is set, when the test calls RunDeferred().
#ifndef KOP_TESTING_FAKE_TOPICS_H_
#define KOP_TESTING_FAKE_TOPICS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kop/core/broker.h"

namespace kop::core::testing {

class FakeTopics : public TopicPort {
 public:
  std::map<std::string, int32_t> topics;  // name -> partitions
  // name -> owner of each partition (absent: this broker owns them all).
  std::map<std::string, std::vector<BrokerNode>> leaders;
  // The other brokers of the cluster (ClusterBrokers).
  std::vector<BrokerNode> cluster;
  // name -> the error code its lookup answers (a failed lookup).
  std::map<std::string, ErrorCode> errors;
  // __consumer_offsets partition -> its owner (absent: this broker's), and
  // -> the error its owner lookup answers (a failed lookup).
  std::map<int32_t, BrokerNode> offsets_owners;
  std::map<int32_t, ErrorCode> offsets_errors;
  // Every name Lookup was asked about, in order.
  std::vector<std::string> looked_up;
  int32_t auto_create_partitions = 1;
  bool defer = false;
  bool admin = true;

  bool SupportsAdmin() const override { return admin; }
  void CreateTopic(std::string name, int32_t partitions,
                   AdminDone done) override {
    if (!topics.emplace(name, partitions).second) {
      done(ErrorCode::TOPIC_ALREADY_EXISTS, "exists");
    } else {
      done(ErrorCode::NONE, "");
    }
  }
  void DeleteTopic(std::string name, AdminDone done) override {
    done(topics.erase(name) ? ErrorCode::NONE
                            : ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
         "");
  }
  void CreatePartitions(std::string name, int32_t total,
                        AdminDone done) override {
    auto it = topics.find(name);
    if (it == topics.end()) {
      return done(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, "missing");
    }
    if (total <= it->second) {
      return done(ErrorCode::INVALID_PARTITIONS, "cannot shrink");
    }
    it->second = total;
    done(ErrorCode::NONE, "");
  }

  void Lookup(std::vector<std::string> names, bool auto_create,
              std::function<void(std::vector<TopicInfo>)> done) override {
    looked_up.insert(looked_up.end(), names.begin(), names.end());
    Run([this, names = std::move(names), auto_create, done = std::move(done)] {
      std::vector<TopicInfo> out;
      for (const std::string& n : names) {
        if (auto e = errors.find(n); e != errors.end()) {
          out.push_back({n, 0, e->second, {}});
          continue;
        }
        auto it = topics.find(n);
        if (it == topics.end() && auto_create) {
          it = topics.emplace(n, auto_create_partitions).first;
        }
        if (it == topics.end()) {
          out.push_back({n, 0, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, {}});
        } else {
          out.push_back({n, it->second, ErrorCode::NONE, LeadersOf(n)});
        }
      }
      done(std::move(out));
    });
  }

  std::vector<BrokerNode> ClusterBrokers() const override { return cluster; }

  // The offsets topic of every LookupOffsetsOwners call, in order.
  std::vector<std::string> offsets_topics_asked;

  void LookupOffsetsOwners(std::string offsets_topic,
                           std::vector<int32_t> partitions,
                           OwnersDone done) override {
    offsets_topics_asked.push_back(std::move(offsets_topic));
    Run([this, partitions = std::move(partitions), done = std::move(done)] {
      std::vector<PartitionOwner> out;
      for (int32_t p : partitions) {
        PartitionOwner& o = out.emplace_back();
        o.owner.local = true;
        if (auto e = offsets_errors.find(p); e != offsets_errors.end()) {
          o = PartitionOwner{e->second, {}};
        } else if (auto it = offsets_owners.find(p);
                   it != offsets_owners.end()) {
          o.owner = it->second;
        }
      }
      done(std::move(out));
    });
  }

  // Names of another namespace are kept in `topics` by full name.
  void ListNamespace(
      std::string prefix,
      std::function<void(std::vector<TopicInfo>)> done) override {
    Run([this, prefix = std::move(prefix), done = std::move(done)] {
      std::vector<TopicInfo> out;
      for (const auto& [name, partitions] : topics) {
        if (!name.starts_with(prefix)) continue;
        out.push_back({name.substr(prefix.size()), partitions, ErrorCode::NONE,
                       LeadersOf(name)});
      }
      done(std::move(out));
    });
  }

  void ListAll(std::function<void(std::vector<TopicInfo>)> done) override {
    Run([this, done = std::move(done)] {
      std::vector<TopicInfo> out;
      for (const auto& [name, partitions] : topics)
        out.push_back({name, partitions, ErrorCode::NONE, LeadersOf(name)});
      done(std::move(out));
    });
  }

  // Completes deferred lookups, most recent first (to test ordering).
  void RunDeferredNewestFirst() {
    std::vector<std::function<void()>> work;
    work.swap(deferred_);
    for (auto it = work.rbegin(); it != work.rend(); ++it) (*it)();
  }
  size_t deferred() const { return deferred_.size(); }

 private:
  std::vector<BrokerNode> LeadersOf(const std::string& name) const {
    auto it = leaders.find(name);
    return it == leaders.end() ? std::vector<BrokerNode>{} : it->second;
  }
  void Run(std::function<void()> f) {
    if (defer) {
      deferred_.push_back(std::move(f));
    } else {
      f();
    }
  }
  std::vector<std::function<void()>> deferred_;
};

}  // namespace kop::core::testing

#endif  // KOP_TESTING_FAKE_TOPICS_H_
