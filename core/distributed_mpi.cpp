// MPI between processes (Debian's Open MPI, or any MPI-3 library): the world
// communicator and the session that starts and ends MPI. Compiled only when
// CMake's FindMPI found MPI (ASTROCNN_HAVE_MPI).
//
// Tensors travel through host memory: CPU tensors in place (or packed into a
// bucket), CUDA tensors through a host copy (NCCL is the fast path between
// GPUs: kernels/cuda/nccl_communicator.cu). Only the main thread calls MPI
// (MPI_THREAD_FUNNELED); the data loader and oneDNN threads never do.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/distributed.h"
#include "core/tensor/error.h"

namespace astrocnn {
namespace {

// A positive number from the environment, or `fallback` (with a warning when
// the variable is set but is not a number >= 0).
double env_number(const char* name, double fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (*end != '\0' || !(v >= 0)) {
    std::fprintf(stderr, "astrocnn: warning: ignoring %s='%s' (expected a number >= 0)\n", name, text);
    return fallback;
  }
  return v;
}

// Ends this rank with an error when a collective has waited longer than the
// timeout: the other ranks have died or hang, and waiting longer would only
// hide that. It runs on its own thread and never calls MPI (the main thread
// is the one stuck in MPI); the launcher then sees the rank exit with status
// 2 and ends the job.
class Watchdog {
 public:
  explicit Watchdog(double seconds, int rank) : seconds_(seconds), rank_(rank) {
    if (seconds_ > 0) thread_ = std::thread([this] { watch(); });
  }
  ~Watchdog() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  // While one lives, the collective `what` is in progress.
  class Watch {
   public:
    Watch(Watchdog& dog, const char* what) : dog_(dog) { dog_.arm(what); }
    ~Watch() { dog_.arm(nullptr); }

   private:
    Watchdog& dog_;
  };

 private:
  using Clock = std::chrono::steady_clock;

  void arm(const char* what) {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      what_ = what;
      deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(seconds_));
    }
    wake_.notify_one();
  }

  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      if (!what_) {
        wake_.wait(lock);
        continue;
      }
      if (wake_.wait_until(lock, deadline_) == std::cv_status::timeout && what_ &&
          Clock::now() >= deadline_) {
        std::fprintf(stderr,
                     "astrocnn: error: rank %d waited %g s for the other ranks in %s "
                     "(ASTROCNN_MPI_TIMEOUT); another rank has died or hangs\n",
                     rank_, seconds_, what_);
        std::fflush(stderr);
        std::_Exit(2);
      }
    }
  }

  double seconds_;
  int rank_;
  std::mutex mutex_;
  std::condition_variable wake_;
  const char* what_ = nullptr;
  Clock::time_point deadline_;
  bool stop_ = false;
  std::thread thread_;
};

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::F32: return MPI_FLOAT;
    case DType::F64: return MPI_DOUBLE;
    case DType::I64: return MPI_INT64_T;
  }
  return MPI_BYTE;
}

MPI_Op mpi_op(ReduceOp op) { return op == ReduceOp::Max ? MPI_MAX : MPI_SUM; }

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank_);
    MPI_Comm_free(&node);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(version, &length);
    library_ = std::string(version, static_cast<size_t>(length));
    library_ = library_.substr(0, library_.find_first_of(",\n"));
    bucket_bytes_ = static_cast<size_t>(env_number("ASTROCNN_ALLREDUCE_BUCKET_MB", 25) * (1 << 20));
    watchdog_ = std::make_unique<Watchdog>(env_number("ASTROCNN_MPI_TIMEOUT", 1800), rank_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  std::string describe() const override { return "MPI (" + library_ + ")"; }

  void broadcast(const std::vector<Tensor>& tensors) override {
    Watchdog::Watch watch(*watchdog_, "MPI_Bcast");
    for (Tensor t : tensors) {
      Tensor host = t.to(Device::CPU);
      check(MPI_Bcast(host.raw(), static_cast<int>(host.nbytes()), MPI_BYTE, 0, MPI_COMM_WORLD),
            "MPI_Bcast");
      if (!host.same(t)) t.copy_from(host);
    }
  }

  void allreduce(const std::vector<Tensor>& tensors, ReduceOp op) override {
    if (tensors.empty()) return;
    const DType dtype = tensors.front().dtype();
    std::vector<Tensor> host;
    std::vector<int64_t> numels;
    for (const Tensor& t : tensors) {
      ASTRO_CHECK(t.dtype() == dtype, "allreduce: the tensors of one call share a dtype, got ",
                  t.str(), " after ", tensors.front().str());
      host.push_back(t.to(Device::CPU));
      numels.push_back(t.numel());
    }
    const size_t element = dtype_size(dtype);
    const int64_t capacity = static_cast<int64_t>(std::max<size_t>(bucket_bytes_ / element, 1));
    Watchdog::Watch watch(*watchdog_, "MPI_Allreduce");
    for (const auto& bucket : plan_buckets(numels, capacity)) reduce_bucket(host, bucket, element, op);
    for (size_t i = 0; i < tensors.size(); ++i)
      if (!host[i].same(tensors[i])) Tensor(tensors[i]).copy_from(host[i]);
  }

  void barrier() override {
    Watchdog::Watch watch(*watchdog_, "MPI_Barrier");
    check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  }

 private:
  // One MPI_Allreduce over the pieces of one bucket: in place when the bucket
  // is a single piece, else packed into bucket_ and unpacked afterwards.
  void reduce_bucket(std::vector<Tensor>& host, const std::vector<BucketPiece>& pieces,
                     size_t element, ReduceOp op) {
    auto at = [&](const BucketPiece& p) {
      return static_cast<char*>(host[p.tensor].raw()) + p.offset * element;
    };
    const DType dtype = host.front().dtype();
    if (pieces.size() == 1) {
      check(MPI_Allreduce(MPI_IN_PLACE, at(pieces[0]), static_cast<int>(pieces[0].count),
                          mpi_type(dtype), mpi_op(op), MPI_COMM_WORLD),
            "MPI_Allreduce");
      return;
    }
    int64_t count = 0;
    for (const BucketPiece& p : pieces) count += p.count;
    bucket_.resize(static_cast<size_t>(count) * element);
    char* cursor = bucket_.data();
    for (const BucketPiece& p : pieces) {
      std::memcpy(cursor, at(p), p.count * element);
      cursor += p.count * element;
    }
    check(MPI_Allreduce(MPI_IN_PLACE, bucket_.data(), static_cast<int>(count), mpi_type(dtype),
                        mpi_op(op), MPI_COMM_WORLD),
          "MPI_Allreduce");
    cursor = bucket_.data();
    for (const BucketPiece& p : pieces) {
      std::memcpy(at(p), cursor, p.count * element);
      cursor += p.count * element;
    }
  }

  // MPI_COMM_WORLD returns errors (MPI_ERRORS_RETURN) instead of aborting
  // silently: they become an Error naming the call and the rank.
  void check(int status, const char* call) const {
    if (status == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(status, text, &length);
    throw Error(detail::concat(call, " failed on rank ", rank_, " of ", size_, ": ",
                               std::string(text, static_cast<size_t>(length))));
  }

  int rank_ = 0, size_ = 1, local_rank_ = 0;
  std::string library_;
  size_t bucket_bytes_ = 0;
  std::vector<char> bucket_;
  std::unique_ptr<Watchdog> watchdog_;
};

std::unique_ptr<MpiCommunicator> g_mpi;
bool g_abandoned = false;

}  // namespace

DistributedSession::DistributedSession(int& argc, char**& argv) {
  if (!launched_by_mpi_launcher()) return;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  g_mpi = std::make_unique<MpiCommunicator>();
  detail::install_world(g_mpi.get());
}

DistributedSession::~DistributedSession() {
  if (!g_mpi) return;
  detail::install_world(nullptr);
  const bool others_may_wait = g_abandoned && g_mpi->size() > 1;
  g_mpi.reset();
  if (others_may_wait) MPI_Abort(MPI_COMM_WORLD, 2);
  MPI_Finalize();
}

void DistributedSession::abandon() { g_abandoned = true; }

}  // namespace astrocnn
