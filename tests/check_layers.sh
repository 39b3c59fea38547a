#!/usr/bin/env bash
# The layers of the code and the one direction of their #includes, checked
# on every build (CMake target check_layers). All sources share one include
# root, so neither the compiler nor the linker would notice a kernel
# including an autograd header or a layer including the trainer; this does,
# and names the file and line. No exception: every #include points down.
#
#   core/tensor/  the tensor data: Tensor, Storage, DType, errors, Philox,
#        ^        the communicator interface
#   kernels/      the op table and the backends: see only the tensor data
#        ^
#   core/         ops, autograd, modules, optimiser, initialisers, trace:
#        ^        above the kernels, which they reach through kernels/backend.h
#   layers/       Modules built from core ops
#        ^
#   io/           data sets, readers, checkpoints (core types only)
#        ^
#   models/       the networks and the training loop (layers, io)
#        ^
#   tools/        the command line: anything
#
# Usage: check_layers.sh REPOSITORY_ROOT
set -euo pipefail
cd "${1:-.}"

# allowed[DIR]: the include prefixes a file under DIR may use. core/ means
# core/ without core/tensor/, which has its own entry.
declare -A allowed=(
  [core/tensor]="core/tensor/"
  [kernels]="kernels/ core/tensor/"
  [core]="core/ kernels/backend.h kernels/params.h kernels/precision.h"
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
             --include='*.cuh' --include='*.inc' | { [[ $dir == core ]] && grep -v '^core/tensor/' || cat; } || true)
done
if [[ $failures -gt 0 ]]; then
  echo "$failures #include(s) against the direction of the layers"
  exit 1
fi
echo "layers: every #include of core/tensor/, kernels/, core/, layers/, io/ and models/ points down"
