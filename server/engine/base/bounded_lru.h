// A map from text keys (paths) to values, bounded by an estimate of the bytes
// it holds, that drops the least recently used entries to stay within it.
// Not thread-safe: its owner locks.
#ifndef SIDECARD_SERVER_ENGINE_BASE_BOUNDED_LRU_H_
#define SIDECARD_SERVER_ENGINE_BASE_BOUNDED_LRU_H_

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace sidecard::engine {

template <typename Value>
class BoundedLru {
 public:
  explicit BoundedLru(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The value under `key`, now the most recently used; null when none.
  Value* Find(std::string_view key) {
    const auto it = by_key_.find(key);
    if (it == by_key_.end()) return nullptr;
    Node& node = *it->second;
    lru_.splice(lru_.begin(), lru_, node.position);
    return &node.value;
  }

  // Stores `value` under `key`, replacing what was there; `bytes` is its
  // estimate (key and bookkeeping included). A value larger than the whole
  // bound is not stored (and the old one is gone).
  void Store(std::string key, Value value, size_t bytes) {
    Erase(key);
    if (bytes > max_bytes_) return;
    auto node = std::make_unique<Node>(Node{std::move(key), std::move(value), bytes, {}});
    bytes_ += bytes;
    lru_.push_front(node.get());
    node->position = lru_.begin();
    const std::string_view view = node->key;
    by_key_.emplace(view, std::move(node));
    while (bytes_ > max_bytes_) {
      Node* oldest = lru_.back();
      lru_.pop_back();
      bytes_ -= oldest->bytes;
      by_key_.erase(std::string_view(oldest->key));
    }
  }

  void Erase(std::string_view key) {
    const auto it = by_key_.find(key);
    if (it == by_key_.end()) return;
    bytes_ -= it->second->bytes;
    lru_.erase(it->second->position);
    by_key_.erase(it);
  }

  size_t size() const { return by_key_.size(); }
  size_t bytes() const { return bytes_; }
  size_t max_bytes() const { return max_bytes_; }

 private:
  struct Node;
  using Lru = std::list<Node*>;  // most recently used first
  struct Node {
    std::string key;
    Value value;
    size_t bytes;
    typename Lru::iterator position;
  };

  const size_t max_bytes_;
  absl::flat_hash_map<std::string_view, std::unique_ptr<Node>> by_key_;  // keys view Node::key
  Lru lru_;
  size_t bytes_ = 0;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_BASE_BOUNDED_LRU_H_
