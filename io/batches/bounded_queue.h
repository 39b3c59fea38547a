// A queue of at most `capacity` items between one producer thread and one
// consumer: the producer waits while it is full, the consumer while it is
// empty, and close() releases a waiting producer for good (to stop it).
// The prefetching batch sources use it: a worker prepares batches ahead of
// the training thread (io/batches/augmented_batches.h, io/batches/streaming_iterator.h).
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>

namespace astrocnn {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Waits for room, then appends; false (dropping `item`) once closed.
  bool push(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    lock.unlock();
    changed_.notify_all();
    return true;
  }

  // Waits for an item and takes it (the producer must still be pushing).
  T pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !items_.empty(); });
    T item = std::move(items_.front());
    items_.pop_front();
    lock.unlock();
    changed_.notify_all();  // room for one more
    return item;
  }

  // Refuses further pushes and wakes a producer waiting for room.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    changed_.notify_all();
  }

  // True once close() was called (a producer checks it before costly work).
  bool closed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }

  // Empty and open again, for a new producer.
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.clear();
    closed_ = false;
  }

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace astrocnn
