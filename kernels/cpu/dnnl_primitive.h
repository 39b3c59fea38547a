// Internal to kernels/cpu/: a cached oneDNN primitive with its arguments.
//
// Every op built on a oneDNN primitive goes the same way:
//   1. describe the operation (an op desc from memory descriptors; Tag::any
//      where the primitive may choose the layout) and create its primitive
//      descriptor, which fixes the implementation and the layouts it wants;
//   2. create the primitive, and say where each of its arguments comes from:
//      which tensor, in which (plain) layout;
//   3. on every call, point the arguments at the caller's tensors, reorder
//      the ones whose layout the primitive chose differently, run it, and
//      reorder its results back.
// Steps 2 and 3 are PrimitiveOp, a Context::cached() entry:
//
//   auto& e = ctx.cached<PrimitiveOp>(key, [&] {
//     dnnl::convolution_forward::primitive_desc pd(...);            // 1
//     PrimitiveOp op(dnnl::convolution_forward(pd), pd);            // 2
//     op.input(DNNL_ARG_SRC, x_desc).input(DNNL_ARG_WEIGHTS, w_desc);
//     op.output(DNNL_ARG_DST, y_desc);
//     return op;
//   });
//   e.run({{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, y}});  // 3
//
// Each tensor argument is an Operand (dnnl_context.h): the primitive's
// layout for it is queried from the primitive descriptor by argument
// (query::exec_arg_md), and when it differs from the tensor's the operand
// reorders through a scratch buffer; otherwise the primitive reads or writes
// the tensor in place.
#pragma once
#include <initializer_list>
#include <unordered_map>
#include <vector>

#include "kernels/cpu/dnnl_context.h"

namespace astrocnn::cpu {

class PrimitiveOp : public CachedOp {
 public:
  // `pd` is the primitive descriptor `prim` was created from.
  PrimitiveOp(dnnl::primitive prim, const dnnl::primitive_desc_base& pd);

  // Argument `arg` (DNNL_ARG_SRC ...) is read from a tensor whose layout is
  // `user` (float32, plain); input() reorders it into the primitive's layout
  // and type when they differ.
  PrimitiveOp& input(int arg, const memory::desc& user);
  // Argument `arg` is written into a tensor whose layout is `user`; run()
  // reorders the primitive's result into it when the layouts differ.
  PrimitiveOp& output(int arg, const memory::desc& user);
  // Argument `arg` is no Backend tensor (batch norm's variance): a buffer of
  // md's size that this entry owns, passed on every run; owned(arg) is its data.
  PrimitiveOp& own(int arg, const memory::desc& md);
  float* owned(int arg) { return static_cast<float*>(owned_.at(arg).get_data_handle()); }

  // A tensor for one argument. A null pointer stands for an argument the
  // primitive was built without (no bias); outputs take non-const tensors.
  struct Bind {
    Bind(int arg_, const Tensor& t) : arg(arg_), in(&t) {}
    Bind(int arg_, Tensor& t) : arg(arg_), in(&t), out(&t) {}
    Bind(int arg_, const Tensor* t) : arg(arg_), in(t) {}
    Bind(int arg_, Tensor* t) : arg(arg_), in(t), out(t) {}
    int arg;
    const Tensor* in = nullptr;
    Tensor* out = nullptr;
  };
  // Runs the primitive on these tensors, one for each input() and output()
  // argument: reorders the inputs in, runs, reorders the outputs out.
  void run(std::initializer_list<Bind> tensors);

 private:
  struct Arg {
    int arg;
    Operand operand;
  };
  const Bind& find(std::initializer_list<Bind> tensors, int arg) const;
  Operand operand(int arg, const memory::desc& user, Operand::Role role);

  dnnl::primitive prim_;
  dnnl::primitive_desc_base pd_;
  std::vector<Arg> inputs_, outputs_;
  std::unordered_map<int, memory> owned_;
  int slots_ = 0;  // scratch slots taken by the operands that reorder
};

}  // namespace astrocnn::cpu
