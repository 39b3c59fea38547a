// The communicator interface (rank, size, broadcast, allreduce, barrier):
// what the collectives on tensors look like to everything above, and what
// the backends implement. It sits with the tensor data because a backend
// (kernels/cuda/nccl_communicator.cu) implements it; the session that starts
// MPI, and the training loop that uses it, are above (core/distributed.h).
//
//   MpiCommunicator   (core/distributed_mpi.cpp)          MPI_Allreduce/MPI_Bcast on host memory
//   NcclCommunicator  (kernels/cuda/nccl_communicator.cu) ncclAllReduce/ncclBroadcast on GPU memory
//   SingleProcess     (here)                              rank 0 of 1: collectives change nothing
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"

namespace astrocnn {

enum class ReduceOp { Sum, Max };

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // The rank among the processes on this machine (it picks the GPU).
  virtual int local_rank() const = 0;
  // "MPI (Open MPI v4.1.4)", "NCCL 2.27.3 over MPI (...)", "single process".
  virtual std::string describe() const = 0;

  // Every rank's `tensors` take rank 0's values, in place. Each rank passes
  // the same list: the same shapes and dtypes in the same order.
  virtual void broadcast(const std::vector<Tensor>& tensors) = 0;
  // Elementwise sum (or maximum) over the ranks, in place, in every rank's
  // tensors. The tensors of one call share a dtype.
  virtual void allreduce(const std::vector<Tensor>& tensors, ReduceOp op = ReduceOp::Sum) = 0;
  // allreduce(Sum), then divided by size(): the mean over the ranks (float tensors).
  void allreduce_average(const std::vector<Tensor>& tensors);
  virtual void barrier() = 0;
};

// This process alone: rank 0 of 1.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string describe() const override { return "single process"; }
  void broadcast(const std::vector<Tensor>&) override {}
  void allreduce(const std::vector<Tensor>&, ReduceOp) override {}
  void barrier() override {}
};

// All processes of this run: MPI's world when a DistributedSession started
// MPI, otherwise a SingleProcess.
Communicator& world();

// For tensors on CUDA devices: NCCL between the GPUs of the ranks when the
// build has NCCL and there are several ranks (host tensors still go through
// `host`); otherwise null, and `host` handles everything (copying through
// host memory).
std::unique_ptr<Communicator> make_nccl_communicator(Communicator& host);

}  // namespace astrocnn
