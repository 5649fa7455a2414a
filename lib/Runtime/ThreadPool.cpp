//===- ThreadPool.cpp - the host device's workers -------------------------===//
#include "ThreadPool.h"

#include <system_error>

namespace moec::rt::detail {

ThreadPool::ThreadPool(unsigned threads) {
  // Under a memory or process limit std::thread throws: keep the workers
  // that started and say why the others did not (the owner decides whether
  // that is an error), instead of letting std::system_error end the process.
  try {
    for (unsigned p = 1; p < threads; ++p)
      workers_.emplace_back([this, p] { workerLoop(p); });
  } catch (const std::system_error &e) {
    startError_ = e.what();
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

void ThreadPool::runItems(unsigned participant) {
  for (;;) {
    int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= count_)
      return;
    (*job_)(i, participant);
  }
}

void ThreadPool::workerLoop(unsigned participant) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_)
        return;
      seen = generation_;
    }
    runItems(participant);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--busy_ == 0)
        done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int64_t count,
                             const std::function<void(int64_t, unsigned)> &fn) {
  if (count <= 0)
    return;
  std::lock_guard<std::mutex> launchLock(launchMutex_);
  if (workers_.empty() || count == 1) {
    for (int64_t i = 0; i < count; ++i)
      fn(i, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    count_ = count;
    next_.store(0, std::memory_order_relaxed);
    busy_ = static_cast<unsigned>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  runItems(0);
  // Every worker takes part in every generation, so once `busy_` is 0 none
  // still reads `job_`.
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return busy_ == 0; });
  job_ = nullptr;
}

} // namespace moec::rt::detail
