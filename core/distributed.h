// Data-parallel training across processes: the session that starts and ends
// MPI, around the communicator interface (core/tensor/communicator.h).
//
// `mpirun -np N astrocnn train ...` (or `srun`) starts N copies of the
// program. Each copy is a rank: it computes gradients on its own batch, the
// ranks sum them with allreduce and all apply the same update, so the model
// stays identical everywhere (models/train/trainer.h). The collectives come from
// the existing engines, never from home-made sockets:
//
// The communicators, MPI, NCCL and the single process, are listed in
// core/tensor/communicator.h.
//
// A process that was not started by an MPI launcher never calls MPI at all:
// world() is then a SingleProcess, and a build without MPI is the same
// single-process program.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/communicator.h"
#include "core/tensor/tensor.h"

namespace astrocnn {

// Whether the environment shows that mpirun/mpiexec (Open MPI, MPICH) or
// srun (Slurm with PMI/PMIx) started this process.
bool launched_by_mpi_launcher();
// How many processes the launcher started, as it says in the environment
// (OMPI_COMM_WORLD_SIZE, PMI_SIZE); 1 when no launcher says.
int launched_processes();

// Starts MPI (MPI_Init_thread) in main() when launched_by_mpi_launcher() and
// the build has MPI; ends it when main() returns. Collective operations wait
// at most ASTROCNN_MPI_TIMEOUT seconds (default 1800, 0 = forever) for the
// other ranks, then the rank exits with an error naming the operation, so a
// rank that hangs or dies never leaves the others waiting forever.
class DistributedSession {
 public:
  DistributedSession(int& argc, char**& argv);
  ~DistributedSession();
  DistributedSession(const DistributedSession&) = delete;
  DistributedSession& operator=(const DistributedSession&) = delete;

  // Called when this rank leaves with an error: the session then ends the
  // whole job (MPI_Abort) instead of finalising, because the other ranks may
  // be waiting for this one inside a collective.
  static void abandon();
};

// Makes the local rank's GPU the only one CUDA sees (CUDA_VISIBLE_DEVICES),
// one GPU per rank, before CUDA starts. Leaves the environment alone for a
// single process, when CUDA_VISIBLE_DEVICES already names one device, or
// when no NVIDIA GPU is listed in /proc/driver/nvidia/gpus.
void bind_gpu_to_local_rank(const Communicator& comm);

// How a list of tensors is cut into allreduce buckets: their elements, in
// order, as one stream, cut every `capacity` elements (one MPI call per
// bucket: few large messages instead of one per tensor, and a bounded buffer).
struct BucketPiece {
  size_t tensor = 0;  // index in the list
  int64_t offset = 0, count = 0;  // elements of that tensor
};
std::vector<std::vector<BucketPiece>> plan_buckets(const std::vector<int64_t>& numels,
                                                   int64_t capacity);

namespace detail {
// Makes `comm` what world() returns (null: back to the single process); used
// by the MPI session.
void install_world(Communicator* comm);
}  // namespace detail

}  // namespace astrocnn
