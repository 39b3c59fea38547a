// NCCL between the GPUs of the ranks (one GPU per rank): allreduce and
// broadcast of CUDA tensors straight from device memory, on the CUDA
// backend's stream, instead of copying them through the host for MPI.
// Compiled only when CMake found NCCL with CUDA (ASTROCNN_HAVE_NCCL). Host
// tensors, the barrier and the exchange of NCCL's unique id go through the
// host communicator (MPI) it is built on.
//
// The tensors of one call are issued inside ncclGroupStart/ncclGroupEnd:
// NCCL fuses the grouped operations itself, so the gradients are not packed
// into buckets here (packing would only add device copies).
//
// Status: compiles; not yet run on a GPU (docs/GPU-RUNS.md).
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/communicator.h"
#include "core/tensor/error.h"
#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_check.h"

namespace astrocnn {
namespace {

void check(ncclResult_t status, const char* call) {
  if (status != ncclSuccess)
    throw Error(detail::concat("NCCL call ", call, " failed: ", ncclGetErrorString(status)));
}

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::F32: return ncclFloat32;
    case DType::F64: return ncclFloat64;
    case DType::I64: return ncclInt64;
  }
  return ncclUint8;
}

class NcclCommunicator final : public Communicator {
 public:
  explicit NcclCommunicator(Communicator& host) : host_(host) {
    ASTRO_CHECK(cuda_backend_if_device() != nullptr,
                "NCCL needs a CUDA device on every rank: ", cuda_unavailable_reason());
    stream_ = static_cast<cudaStream_t>(cuda_stream_handle());
    // Rank 0 draws the unique id; it reaches the others as the bytes of a host tensor.
    ncclUniqueId id;
    std::memset(&id, 0, sizeof id);
    if (host.rank() == 0) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    Tensor bytes = Tensor::zeros({static_cast<int64_t>((sizeof id + 7) / 8)}, DType::I64);
    std::memcpy(bytes.raw(), &id, sizeof id);
    host.broadcast({bytes});
    std::memcpy(&id, bytes.raw(), sizeof id);
    check(ncclCommInitRank(&comm_, host.size(), id, host.rank()), "ncclCommInitRank");
    int version = 0;
    ncclGetVersion(&version);
    version_ = detail::concat(version / 10000, ".", version / 100 % 100, ".", version % 100);
  }
  ~NcclCommunicator() override {
    if (comm_) ncclCommDestroy(comm_);
  }

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  int local_rank() const override { return host_.local_rank(); }
  std::string describe() const override {
    return "NCCL " + version_ + " between GPUs, " + host_.describe() + " between hosts";
  }

  void broadcast(const std::vector<Tensor>& tensors) override {
    std::vector<Tensor> on_host = on_gpus(tensors, [&](Tensor& t) {
      check(ncclBroadcast(t.raw(), t.raw(), t.nbytes(), ncclUint8, 0, comm_, stream_),
            "ncclBroadcast");
    });
    if (!on_host.empty()) host_.broadcast(on_host);
  }

  void allreduce(const std::vector<Tensor>& tensors, ReduceOp op) override {
    std::vector<Tensor> on_host = on_gpus(tensors, [&](Tensor& t) {
      check(ncclAllReduce(t.raw(), t.raw(), static_cast<size_t>(t.numel()), nccl_type(t.dtype()),
                          op == ReduceOp::Max ? ncclMax : ncclSum, comm_, stream_),
            "ncclAllReduce");
    });
    if (!on_host.empty()) host_.allreduce(on_host, op);
  }

  void barrier() override {
    ASTRO_CUDA_CHECK(cudaStreamSynchronize(stream_));
    host_.barrier();
  }

 private:
  // Issues `call` for each CUDA tensor inside one NCCL group, waits for the
  // group, and returns the host tensors (for the host communicator).
  template <class Call>
  std::vector<Tensor> on_gpus(const std::vector<Tensor>& tensors, Call call) {
    std::vector<Tensor> on_host;
    check(ncclGroupStart(), "ncclGroupStart");
    for (Tensor t : tensors) {
      if (t.device() == Device::CUDA)
        call(t);
      else
        on_host.push_back(t);
    }
    check(ncclGroupEnd(), "ncclGroupEnd");
    ASTRO_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return on_host;
  }

  Communicator& host_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  std::string version_;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(Communicator& host) {
  if (host.size() == 1) return nullptr;
  return std::make_unique<NcclCommunicator>(host);
}

}  // namespace astrocnn
