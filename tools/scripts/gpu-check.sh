#!/usr/bin/env bash
# GPU check for the CUDA backend: configure and build (Release, CUDA on,
# benchmarks on), run the CUDA tests (`ctest -L cuda`), run the CUDA
# benchmarks, and print a short table of the results last.
#
# Meant for a machine with CUDA (nvcc), cuDNN and CMake that may lack the
# Debian development packages. Missing ones are reported and worked around:
#   oneDNN     absent -> -DASTROCNN_WITH_ONEDNN=OFF (the CPU backend falls back to the reference)
#   Catch2 v2  absent -> no tests can be built (the check fails)
#   benchmark  absent -> no benchmarks (reported, the check still runs the tests)
#   HDF5       absent -> reported only (the CUDA check does not need it)
# Packages can be carried as extracted .deb folders:
#   ASTROCNN_DEPS_PREFIX=/path/to/.debs/usr   prepended to CMAKE_PREFIX_PATH
#                                             (default: .debs/usr when it exists)
#   ASTROCNN_DEBS_DIR=/path/with/*.deb        extracted (dpkg-deb -x) into
#                                             $ASTROCNN_DEBS_DIR/root first, then used as above
# Other settings (environment):
#   BUILD=build-gpu                 the build directory
#   ASTROCNN_CUDA_ARCHS=90          architectures (default: the GPU's, from nvidia-smi)
#   ASTROCNN_BENCH_ARGS="..."       extra Google Benchmark flags, e.g. --benchmark_filter=sgemm
#   ASTROCNN_SKIP_BENCH=1           tests only
#
# Usage: tools/scripts/gpu-check.sh        (from anywhere; it works in the repository root)
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
BUILD="${BUILD:-build-gpu}"
JOBS="$(nproc 2>/dev/null || echo 4)"
STATUS=0

say() { printf '\n== %s\n' "$*"; }

# ---- dependencies ---------------------------------------------------------------
PREFIX="${ASTROCNN_DEPS_PREFIX:-}"
if [[ -n "${ASTROCNN_DEBS_DIR:-}" ]]; then
  if command -v dpkg-deb >/dev/null; then
    mkdir -p "$ASTROCNN_DEBS_DIR/root"
    for deb in "$ASTROCNN_DEBS_DIR"/*.deb; do
      [[ -e "$deb" ]] && dpkg-deb -x "$deb" "$ASTROCNN_DEBS_DIR/root"
    done
    PREFIX="$ASTROCNN_DEBS_DIR/root/usr"
  else
    echo "warning: ASTROCNN_DEBS_DIR is set but dpkg-deb is missing; the .deb files are not used"
  fi
fi
if [[ -z "$PREFIX" && -d "$ROOT/.debs/usr" ]]; then PREFIX="$ROOT/.debs/usr"; fi
[[ -n "$PREFIX" ]] && PREFIX="$(cd "$PREFIX" && pwd)"

# Looks for a CMake package configuration file (or a header) under the usual
# prefixes and the carried one.
search_roots() { echo ${PREFIX:+"$PREFIX"} /usr /usr/local; }
have_cmake_package() {
  local name="$1" lower
  lower="$(echo "$1" | tr '[:upper:]' '[:lower:]')"
  for root in $(search_roots); do
    [[ -d "$root" ]] || continue
    if find "$root/lib" "$root/share" -maxdepth 4 \( -name "${name}Config.cmake" -o -name "${lower}-config.cmake" \) \
         2>/dev/null | grep -q .; then
      return 0
    fi
  done
  return 1
}
have_header() {
  for root in $(search_roots); do
    [[ -d "$root/include" ]] && find "$root/include" -maxdepth 3 -name "$1" 2>/dev/null | grep -q . && return 0
  done
  return 1
}

say "dependencies"
MISSING=()
CMAKE_FLAGS=(-DCMAKE_BUILD_TYPE=Release -DASTROCNN_WITH_CUDA=ON -DASTROCNN_BUILD_BENCH=ON -DASTROCNN_BUILD_TESTS=ON)
command -v cmake >/dev/null || { echo "error: cmake not found"; exit 1; }
NVCC="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
[[ -x "$NVCC" ]] || { echo "error: nvcc not found (PATH or /usr/local/cuda/bin)"; exit 1; }
echo "nvcc:      $("$NVCC" --version | tail -1)"
if command -v nvidia-smi >/dev/null; then
  echo "GPU:       $(nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader | head -1)"
else
  echo "GPU:       nvidia-smi not found (the tests will report whether a device is usable)"
fi
if have_cmake_package dnnl; then echo "oneDNN:    found"; CMAKE_FLAGS+=(-DASTROCNN_WITH_ONEDNN=ON); else
  echo "oneDNN:    MISSING (libdnnl-dev) -> building with -DASTROCNN_WITH_ONEDNN=OFF"
  MISSING+=(libdnnl-dev); CMAKE_FLAGS+=(-DASTROCNN_WITH_ONEDNN=OFF)
fi
HAVE_CATCH2=1
if have_cmake_package Catch2; then echo "Catch2:    found"; else
  echo "Catch2:    MISSING (catch2, v2) -> the tests cannot be built; carry it with ASTROCNN_DEPS_PREFIX"
  MISSING+=(catch2); HAVE_CATCH2=0; CMAKE_FLAGS+=(-DASTROCNN_BUILD_TESTS=OFF)
fi
if have_cmake_package benchmark; then echo "benchmark: found"; else
  echo "benchmark: MISSING (libbenchmark-dev) -> no benchmarks; carry it with ASTROCNN_DEPS_PREFIX"
  MISSING+=(libbenchmark-dev)
fi
if have_header hdf5.h; then echo "HDF5:      found"; else
  echo "HDF5:      MISSING (libhdf5-dev) -> not needed by this check"
  MISSING+=(libhdf5-dev)
fi
if [[ -n "$PREFIX" ]]; then
  echo "prefix:    $PREFIX (CMAKE_PREFIX_PATH)"
  CMAKE_FLAGS+=("-DCMAKE_PREFIX_PATH=$PREFIX")
  # Shared libraries of carried packages (e.g. libbenchmark.so.1) must load at run time too.
  export LD_LIBRARY_PATH="$PREFIX/lib:$PREFIX/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
ARCHS="${ASTROCNN_CUDA_ARCHS:-}"
if [[ -z "$ARCHS" ]] && command -v nvidia-smi >/dev/null; then
  ARCHS="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')"
fi
[[ -n "$ARCHS" ]] && CMAKE_FLAGS+=("-DASTROCNN_CUDA_ARCHS=$ARCHS")
CMAKE_FLAGS+=("-DCMAKE_CUDA_COMPILER=$NVCC")

# ---- configure and build -----------------------------------------------------------
say "configure ($BUILD)"
mkdir -p "$BUILD"
if ! cmake -S . -B "$BUILD" "${CMAKE_FLAGS[@]}" | tee "$BUILD/configure.log" | grep -E "astrocnn:|Error"; then
  echo "error: configure failed (see $BUILD/configure.log)"; exit 1
fi
if ! grep -q "CUDA backend ON" "$BUILD/configure.log"; then
  echo "error: CMake did not enable the CUDA backend (see $BUILD/configure.log)"; exit 1
fi

TARGETS=()
AVAILABLE="$(cmake --build "$BUILD" --target help 2>/dev/null)"
for t in astrocnn_cuda_tests bench_cuda_sgemm bench_cuda_conv astrocnn_cli; do
  grep -qw "$t" <<<"$AVAILABLE" && TARGETS+=("$t")
done
say "build: ${TARGETS[*]}"
if ! cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}"; then
  echo "error: build failed"; exit 1
fi

# ---- tests ----------------------------------------------------------------------------
TEST_RESULT="not built (Catch2 missing)"
if [[ $HAVE_CATCH2 == 1 ]]; then
  say "ctest -L cuda"
  (cd "$BUILD" && ctest -L cuda --output-on-failure) | tee "$BUILD/ctest-cuda.log"
  rc=${PIPESTATUS[0]}
  if grep -qiE "Not Run|Skipped" "$BUILD/ctest-cuda.log"; then
    TEST_RESULT="SKIPPED (no usable CUDA device)"; STATUS=1
  elif [[ $rc == 0 ]]; then
    TEST_RESULT="passed"
  else
    TEST_RESULT="FAILED (rc $rc)"; STATUS=1
  fi
  # Catch2's own summary line (ctest keeps the test's output in LastTest.log).
  grep -hE "test cases|SKIPPED" "$BUILD"/Testing/Temporary/LastTest*.log 2>/dev/null | tail -2
else
  STATUS=1
fi

# ---- benchmarks ---------------------------------------------------------------------------
BENCH_CSVS=()
if [[ "${ASTROCNN_SKIP_BENCH:-0}" != 1 ]]; then
  for b in bench_cuda_sgemm bench_cuda_conv; do
    exe="$BUILD/bench/$b"
    [[ -x "$exe" ]] || { echo "($b not built)"; continue; }
    say "$b"
    # shellcheck disable=SC2086
    if "$exe" --benchmark_out="$BUILD/$b.csv" --benchmark_out_format=csv ${ASTROCNN_BENCH_ARGS:-}; then
      [[ -s "$BUILD/$b.csv" ]] && BENCH_CSVS+=("$BUILD/$b.csv")
    else
      echo "error: $b failed"; STATUS=1
    fi
  done
fi

# ---- summary table (last) -------------------------------------------------------------------
say "summary"
printf '%-10s %s\n' "missing:" "${MISSING[*]:-none}"
printf '%-10s %s\n' "tests:" "$TEST_RESULT"
if ((${#BENCH_CSVS[@]})); then
  # Google Benchmark CSV: a header row naming the columns (user counters last), then one row per run.
  awk -F, '
    function unquote(s) { gsub(/"/, "", s); return s }
    /^name,/ {
      split("", col)  # a new file: forget the previous columns
      for (i = 1; i <= NF; ++i) col[unquote($i)] = i
      next
    }
    col["name"] && NF > 4 {
      name = unquote($col["name"])
      ratio = col["vs_cublas"] ? $col["vs_cublas"] : (col["vs_cudnn"] ? $col["vs_cudnn"] : "")
      printf "%-52s %10.3f %-3s %10.1f %8s\n", name, $col["real_time"], unquote($col["time_unit"]),
             (col["GFLOP/s"] ? $col["GFLOP/s"] : 0), (ratio == "" ? "-" : sprintf("%.2f", ratio))
    }
    BEGIN { printf "%-52s %14s %10s %8s\n", "benchmark", "time", "GFLOP/s", "vs base" }
  ' "${BENCH_CSVS[@]}"
else
  echo "benchmarks: none run"
fi
exit $STATUS
