# Thin wrapper over CMake: `make demo` and `make test` are the Quick start.
# CMake stays the real build; everything here just sets up and calls it.

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

# Debian 12 packages the build needs (checked with dpkg, installed only when missing).
# ocl-icd-opencl-dev: libdnnl-dev's CMake config calls find_package(OpenCL REQUIRED),
# but Debian only *recommends* it and install-deps.sh skips recommends.
# libonnx-dev + libprotobuf-dev: `astrocnn export` (ONNX 1.12's generated protobuf classes and checker).
DEBIAN_PACKAGES := cmake g++ make libdnnl-dev libhdf5-dev catch2 libbenchmark-dev \
                   libcli11-dev nlohmann-json3-dev libfmt-dev libcairo2-dev python3-h5py \
                   ocl-icd-opencl-dev \
                   libopenmpi-dev openmpi-bin libcfitsio-dev \
                   libonnx-dev libprotobuf-dev

.PHONY: all deps configure build demo test test-asan test-fresh python-peers bench clean

all: build

deps:
	@bash tools/scripts/install-deps.sh $(DEBIAN_PACKAGES)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/tools/astrocnn train

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer (CPU only).
test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DASTROCNN_SANITIZE=ON -DASTROCNN_BUILD_BENCH=OFF $(CMAKE_ARGS)
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tools/scripts/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# `make demo` and `make test` from a clean clone of the committed HEAD on a
# throw-away Debian 12 root, as a newcomer would run them: checks that
# DEBIAN_PACKAGES is complete. Needs root and mmdebstrap; see the script.
test-fresh:
	bash tools/scripts/test-fresh.sh

# The Python programs the comparison tests and benchmarks talk to, from PyPI,
# in .venv (not needed to build or test: the tests that use them report
# Skipped without them): PyTorch and torchvision (the peer to beat, weight
# import), onnx and onnxruntime (ONNX export), h5py and numpy.
PYTHON_PEERS := numpy h5py onnx onnxruntime torch torchvision
python-peers:
	python3 -m venv .venv
	.venv/bin/pip install --upgrade $(PYTHON_PEERS)

bench: build
	@for b in $(BUILD)/bench/bench_*; do [ -x $$b ] && $$b; done

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
