#!/usr/bin/env bash
# Every numbered CUDA kernel version (kernels/cuda/sgemm_vN_*.cu,
# conv_vN_*.cu) is complete, checked on every build (CMake target
# check_layers) so that a version missing a piece fails the build and names
# the file to fix (the recipe: docs/ARCHITECTURE.md, "Adding a kernel version"):
#   - its first line says what it changes: "// SGEMM vN: ..." / "// Convolution vN: ...";
#   - a "// gain:" line says what it gained, measured (docs/GPU-RUNS.md), or
#     that it has not yet run on a GPU;
#   - it has a row in its family's table (kVersions in sgemm.cu / conv2d.cu),
#     which the tests and benchmarks walk, with its precision;
#   - kernels/cuda/README.md's table lists it.
#
# Usage: check_kernel_versions.sh REPOSITORY_ROOT
set -euo pipefail
cd "${1:-.}"

status=0
fail() {
  echo "check_kernel_versions: $*" >&2
  status=1
}

check_family() {  # prefix, title, table file
  local prefix=$1 title=$2 table=$3 f stem version
  for f in kernels/cuda/${prefix}_v[0-9]*.cu; do
    [ -e "$f" ] || continue
    stem=${f#kernels/cuda/${prefix}_}  # v6_split_k.cu
    stem=${stem%.cu}
    version=${stem%%_*}                # v6
    head -1 "$f" | grep -q "^// $title $version: " ||
      fail "$f: the first line must say what the version changes: '// $title $version: ...'"
    grep -q '^// gain:' "$f" ||
      fail "$f: add a '// gain:' header line: the measured gain (docs/GPU-RUNS.md) or 'not yet run on a GPU'"
    grep -q "{\"$stem\"," "kernels/cuda/$table" ||
      fail "$f: add a row {\"$stem\", ..., Precision::...} to kVersions in kernels/cuda/$table"
    grep -q "^| $version \`${stem#*_}\` |" kernels/cuda/README.md ||
      fail "$f: add a row '| $version \`${stem#*_}\` | ... |' to the table in kernels/cuda/README.md"
  done
}

check_family sgemm SGEMM sgemm.cu
check_family conv Convolution conv2d.cu
exit $status
