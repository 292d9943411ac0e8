#include "server/engine/cache/subtree_answers.h"

#include <utility>

namespace sidecard::engine {

bool SubtreeAnswer::Current() const {
  for (const Directory& directory : directories) {
    if (directory.watch->TrustedGeneration() != directory.generation) return false;
  }
  return true;
}

size_t SubtreeAnswer::bytes() const {
  // The tallies are counted in full: this answer may keep them alive after
  // the tally store has let them go.
  size_t total = sizeof(*this) + directories.capacity() * sizeof(Directory) +
                 tallies.capacity() * sizeof(tallies[0]);
  for (const auto& tally : tallies) total += tally->bytes();
  return total;
}

std::shared_ptr<const SubtreeAnswer> SubtreeAnswers::Find(std::string_view key) {
  std::shared_ptr<const SubtreeAnswer> answer;
  {
    absl::MutexLock lock(&mutex_);
    const auto* found = answers_.Find(key);
    if (found == nullptr) return nullptr;
    answer = *found;
  }
  if (!answer->Current()) return nullptr;
  hits_.fetch_add(1, std::memory_order_relaxed);
  return answer;
}

void SubtreeAnswers::Store(std::string key, std::shared_ptr<const SubtreeAnswer> answer) {
  const size_t bytes = 96 + key.capacity() + answer->bytes();
  absl::MutexLock lock(&mutex_);
  answers_.Store(std::move(key), std::move(answer), bytes);
}

size_t SubtreeAnswers::max_bytes() const {
  absl::MutexLock lock(&mutex_);
  return answers_.max_bytes();
}

int64_t SubtreeAnswers::answers() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(answers_.size());
}

int64_t SubtreeAnswers::bytes() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(answers_.bytes());
}

}  // namespace sidecard::engine
