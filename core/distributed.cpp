// The parts of core/distributed.h that need no MPI: the single-process
// world, launcher detection, GPU binding and the bucket plan. Builds without
// MPI (or without NCCL) also get the do-nothing session (and null NCCL
// communicator) from here.
#include "core/distributed.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/autograd.h"
#include "core/tensor/error.h"
#include "core/ops.h"

namespace astrocnn {

void Communicator::allreduce_average(const std::vector<Tensor>& tensors) {
  allreduce(tensors, ReduceOp::Sum);
  if (size() == 1) return;
  NoGradGuard no_grad;
  for (Tensor t : tensors) t.copy_from(ops::scale(t, 1.0 / size()));
}

namespace {
Communicator* g_world = nullptr;
}

namespace detail {
void install_world(Communicator* comm) { g_world = comm; }
}  // namespace detail

Communicator& world() {
  static SingleProcess alone;
  return g_world ? *g_world : alone;
}

bool launched_by_mpi_launcher() {
  // Open MPI's mpirun; MPICH's hydra and srun --mpi=pmi2; PMIx (srun --mpi=pmix, prterun).
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(variable)) return true;
  return false;
}

int launched_processes() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* n = std::getenv(variable)) return std::max(std::atoi(n), 1);
  return 1;
}

void bind_gpu_to_local_rank(const Communicator& comm) {
  if (comm.size() == 1) return;
  std::vector<std::string> devices;
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
    std::stringstream list(visible);
    for (std::string d; std::getline(list, d, ',');)
      if (!d.empty()) devices.push_back(d);
  } else {
    // The driver lists one directory per GPU; reading it does not start CUDA.
    std::error_code ec;
    int count = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/driver/nvidia/gpus", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      ++count;
    for (int i = 0; i < count; ++i) devices.push_back(std::to_string(i));
  }
  if (devices.size() <= 1) return;
  const std::string& mine = devices[static_cast<size_t>(comm.local_rank()) % devices.size()];
  ::setenv("CUDA_VISIBLE_DEVICES", mine.c_str(), /*overwrite=*/1);
}

std::vector<std::vector<BucketPiece>> plan_buckets(const std::vector<int64_t>& numels,
                                                   int64_t capacity) {
  ASTRO_CHECK(capacity > 0, "plan_buckets: the bucket capacity must be positive, got ", capacity);
  std::vector<std::vector<BucketPiece>> buckets;
  int64_t room = 0;  // free elements in the last bucket
  for (size_t t = 0; t < numels.size(); ++t) {
    for (int64_t offset = 0; offset < numels[t];) {
      if (room == 0) {
        buckets.emplace_back();
        room = capacity;
      }
      int64_t count = std::min(room, numels[t] - offset);
      buckets.back().push_back({t, offset, count});
      offset += count;
      room -= count;
    }
  }
  return buckets;
}

#if !defined(ASTROCNN_HAVE_MPI)
DistributedSession::DistributedSession(int&, char**&) {}
DistributedSession::~DistributedSession() = default;
void DistributedSession::abandon() {}
#endif

#if !defined(ASTROCNN_HAVE_NCCL)
std::unique_ptr<Communicator> make_nccl_communicator(Communicator&) { return nullptr; }
#endif

}  // namespace astrocnn
