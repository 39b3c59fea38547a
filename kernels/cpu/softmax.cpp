// Row softmax of [N,C] on oneDNN (prediction only: the training loss fuses
// softmax with cross-entropy and runs on the reference backend).
#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {
namespace {

using namespace cpu;

struct Softmax : CachedOp {
  dnnl::softmax_forward prim;
  memory x, y;
};

}  // namespace

void OneDnnBackend::softmax_forward(const Tensor& x, Tensor& y) {
  require_f32("softmax_forward", x);
  const int64_t N = x.size(0), C = x.size(1);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<Softmax>(op_key("softmax_forward", N, C), [&] {
    const memory::desc md = f32_desc({N, C}, Tag::nc);
    Softmax made;
    made.prim = dnnl::softmax_forward({{dnnl::prop_kind::forward_inference, md, 1}, ctx.engine()});
    made.x = ctx.unbound(md);
    made.y = ctx.unbound(md);
    return made;
  });
  ctx.run(e.prim, {{DNNL_ARG_SRC, bind(e.x, x)}, {DNNL_ARG_DST, bind(e.y, y)}});
}

}  // namespace astrocnn
