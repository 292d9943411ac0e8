// ThreadSanitizer builds only: makes absl::Mutex visible to TSan.
//
// Debian's abseil is a prebuilt, uninstrumented library, so TSan does not see
// that absl::Mutex orders the accesses it guards and would report every one
// of them as a race. This file defines the public locking functions of
// absl::Mutex and absl::CondVar in the test program itself (the program's
// definitions take precedence over the shared library's), each calling the
// library's own function (dlsym RTLD_NEXT) and telling TSan about the
// happens-before edge: a release before giving the mutex up, an acquire after
// getting it. A Condition is evaluated by abseil with the mutex held, possibly
// on another thread, so it is wrapped to acquire before and release after.
// Nothing about the locking itself changes.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIDECARD_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SIDECARD_TSAN 1
#endif

#ifdef SIDECARD_TSAN

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/synchronization/mutex.h"

namespace {

#define SIDECARD_STRINGIFY2(x) #x
#define SIDECARD_STRINGIFY(x) SIDECARD_STRINGIFY2(x)

// The library's definition of the function whose mangled name, after
// `_ZN4absl<inline namespace>`, is `rest`.
template <typename Function>
Function Real(const char* rest) {
  const std::string ns = SIDECARD_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name = "_ZN4absl" + std::to_string(ns.size()) + ns + rest;
  void* function = dlsym(RTLD_NEXT, name.c_str());
  if (function == nullptr) {
    std::fprintf(stderr, "tsan_absl_mutex: %s not found\n", name.c_str());
    std::abort();
  }
  Function typed;
  std::memcpy(&typed, &function, sizeof typed);
  return typed;
}

// A condition evaluated with `mutex` held, as TSan must see it.
struct AnnotatedCondition {
  const absl::Condition* condition;
  absl::Mutex* mutex;
};
bool EvalAnnotated(AnnotatedCondition* annotated) {
  __tsan_acquire(annotated->mutex);
  const bool holds = annotated->condition->Eval();
  __tsan_release(annotated->mutex);
  return holds;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// Taking the mutex acquires; giving it up releases.
void Mutex::Lock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex4LockEv");
  real(this);
  __tsan_acquire(this);
}
void Mutex::ReaderLock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  real(this);
  __tsan_acquire(this);
}
bool Mutex::TryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}
bool Mutex::ReaderTryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}
void Mutex::Unlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex6UnlockEv");
  __tsan_release(this);
  real(this);
}
void Mutex::ReaderUnlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  __tsan_release(this);
  real(this);
}
void Mutex::LockWhen(const Condition& condition) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex8LockWhenERKNS0_9ConditionE");
  AnnotatedCondition annotated{&condition, this};
  real(this, Condition(&EvalAnnotated, &annotated));
  __tsan_acquire(this);
}
void Mutex::ReaderLockWhen(const Condition& condition) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  AnnotatedCondition annotated{&condition, this};
  real(this, Condition(&EvalAnnotated, &annotated));
  __tsan_acquire(this);
}
// Waiting gives the mutex up and takes it again.
void Mutex::Await(const Condition& condition) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex5AwaitERKNS0_9ConditionE");
  AnnotatedCondition annotated{&condition, this};
  __tsan_release(this);
  real(this, Condition(&EvalAnnotated, &annotated));
  __tsan_acquire(this);
}
bool Mutex::AwaitWithTimeout(const Condition& condition, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  AnnotatedCondition annotated{&condition, this};
  __tsan_release(this);
  const bool met = real(this, Condition(&EvalAnnotated, &annotated), timeout);
  __tsan_acquire(this);
  return met;
}
void CondVar::Wait(Mutex* mutex) {
  static const auto real = Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mutex);
  real(this, mutex);
  __tsan_acquire(mutex);
}
bool CondVar::WaitWithTimeout(Mutex* mutex, Duration timeout) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Duration)>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  __tsan_release(mutex);
  const bool timed_out = real(this, mutex, timeout);
  __tsan_acquire(mutex);
  return timed_out;
}

ABSL_NAMESPACE_END
}  // namespace absl

#endif  // SIDECARD_TSAN
