//===- ThreadPool.h - the host device's workers -----------------*- C++ -*-===//
#ifndef MOEC_LIB_RUNTIME_THREADPOOL_H
#define MOEC_LIB_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace moec::rt::detail {

/// `threads` participants: the caller of parallelFor and threads - 1 workers
/// started once. One parallelFor runs at a time; others wait.
class ThreadPool {
public:
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }
  /// Why fewer threads than asked for started ("" when all did).
  const std::string &startError() const { return startError_; }

  /// Calls fn(i, participant) for every i in [0, count), spread over the
  /// participants (0 = the caller, 1.. = workers); returns when all are done.
  /// fn must not throw.
  void parallelFor(int64_t count,
                   const std::function<void(int64_t, unsigned)> &fn);

private:
  void workerLoop(unsigned participant);
  void runItems(unsigned participant);

  std::vector<std::thread> workers_;
  std::mutex launchMutex_; ///< one parallelFor at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  unsigned busy_ = 0;
  bool stop_ = false;
  const std::function<void(int64_t, unsigned)> *job_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
  std::string startError_;
};

} // namespace moec::rt::detail

#endif // MOEC_LIB_RUNTIME_THREADPOOL_H
