#include "kernels/cpu/dnnl_primitive.h"

namespace astrocnn::cpu {

PrimitiveOp::PrimitiveOp(dnnl::primitive prim, const dnnl::primitive_desc_base& pd)
    : prim_(std::move(prim)), pd_(pd) {}

// The operands that reorder take scratch slots 0, 1, 2 ... in the order they
// are declared, so that the copies one primitive uses never share a buffer.
Operand PrimitiveOp::operand(int arg, const memory::desc& user, Operand::Role role) {
  const memory::desc wanted = pd_.query_md(dnnl::query::exec_arg_md, arg);
  const int slot = user == wanted ? 0 : slots_++;
  return Operand(user, wanted, role, slot, Context::get().engine());
}

PrimitiveOp& PrimitiveOp::input(int arg, const memory::desc& user) {
  inputs_.push_back({arg, operand(arg, user, Operand::Role::Input)});
  return *this;
}

PrimitiveOp& PrimitiveOp::output(int arg, const memory::desc& user) {
  outputs_.push_back({arg, operand(arg, user, Operand::Role::Output)});
  return *this;
}

PrimitiveOp& PrimitiveOp::own(int arg, const memory::desc& md) {
  owned_[arg] = memory(md, Context::get().engine());  // allocates
  return *this;
}

const PrimitiveOp::Bind& PrimitiveOp::find(std::initializer_list<Bind> tensors, int arg) const {
  for (const Bind& b : tensors) {
    if (b.arg == arg && b.in != nullptr) return b;
  }
  throw Error(detail::concat("cpu-onednn: no tensor for argument ", arg, " of a primitive"));
}

void PrimitiveOp::run(std::initializer_list<Bind> tensors) {
  size_t given = 0;
  for (const Bind& b : tensors) given += b.in != nullptr;
  ASTRO_CHECK(given == inputs_.size() + outputs_.size(),
              "cpu-onednn: a primitive was given a tensor for an argument it does not take");
  Context& ctx = Context::get();
  std::unordered_map<int, memory> args = owned_;
  for (Arg& a : inputs_) args[a.arg] = a.operand.in(*find(tensors, a.arg).in, ctx.stream());
  for (Arg& a : outputs_) {
    Tensor* t = find(tensors, a.arg).out;
    ASTRO_CHECK(t != nullptr, "cpu-onednn: output argument ", a.arg, " given a const tensor");
    args[a.arg] = a.operand.out(*t);
  }
  ctx.run(prim_, args);
  for (Arg& a : outputs_) a.operand.out_done(ctx.stream());
}

}  // namespace astrocnn::cpu
