#!/usr/bin/env bash
# The layers of the code and the one direction of their #includes, checked
# on every build (CMake target check_layers). All sources share one include
# root, so neither the compiler nor the linker would notice a kernel
# including an autograd header or a layer including the trainer; this does,
# and names the file and line.
#
#   tensor data   core/{tensor,storage,dtype,error,philox,distributed}.h
#        ^
#   kernels/      the op table and the backends: see only the tensor data
#        ^
#   core/         ops, autograd, modules, optimiser, initialisers, trace
#        ^
#   layers/       Modules built from core ops
#        ^
#   io/           data sets, readers, checkpoints (core types only)
#        ^
#   models/       the networks and the training loop (layers, io)
#        ^
#   tools/        the command line: anything
#
# (core/tensor.cpp calls autograd for Tensor::backward(): the data layer's
# one call upwards, inside core/.)
# Usage: check_layers.sh REPOSITORY_ROOT
set -euo pipefail
cd "${1:-.}"

# allowed[DIR]: the include prefixes a file under DIR may use.
declare -A allowed=(
  [kernels]="kernels/ core/tensor.h core/storage.h core/dtype.h core/error.h core/philox.h core/distributed.h"
  [core]="core/ kernels/backend.h kernels/params.h kernels/cuda/cuda_api.h"
  [layers]="layers/ core/ kernels/params.h"
  [io]="io/ core/"
  [models]="models/ layers/ io/ core/ kernels/params.h"
)

failures=0
for dir in "${!allowed[@]}"; do
  while IFS=: read -r file line include; do
    target=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$include")
    ok=0
    for prefix in ${allowed[$dir]}; do
      [[ "$target" == "$prefix"* ]] && ok=1 && break
    done
    if [[ $ok == 0 && "$target" == */* ]]; then
      echo "$file:$line includes \"$target\": $dir/ may include only ${allowed[$dir]}" \
           "(tests/check_layers.sh; move the code to the layer that may use it)"
      failures=$((failures + 1))
    fi
  done < <(grep -rnE '^#include "' "$dir" --include='*.h' --include='*.cpp' --include='*.cu' \
             --include='*.cuh' --include='*.inc' || true)
done
if [[ $failures -gt 0 ]]; then
  echo "$failures #include(s) against the direction of the layers"
  exit 1
fi
echo "layers: every #include of core/, kernels/, layers/, io/ and models/ points down"
