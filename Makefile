# Tyto's entry points. Each target installs what is missing first (Debian 12 packages, and the npm package
# of the API reference page that the build compiles in: scripts/setup.sh).
#   make run     build (Release) and start the server on SQLite in ./data, console on :8080
#   make test    build everything, start the test services, run the whole suite through ctest
#   make build   build only; the binary is build/tyto
#   make format  reformat the tracked sources; make format-check only reports what it would change
#   make bench   run the benchmark programs in tests/bench (results: docs/benchmarks.md)
#   make image   build the container image tyto:local (Docker, or podman where no Docker engine runs)
#   make image-test  build the image and try it and docker-compose.yml as a user would (tests/image);
#                make test runs it too when TYTO_IMAGE_TEST=1 or when the Dockerfile, the package lists or
#                the compose files changed since its last green run (TYTO_IMAGE_TEST=0 skips it)
#   make fuzz    run each fuzz target of tests/fuzz for FUZZ_SECONDS (300); new inputs are kept in FUZZ_CORPUS,
#                outside git; FUZZ_MERGE=1 adds what they cover to the committed corpus (docs/quality.md)

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080
CTEST_ARGS ?= --parallel 2
FUZZ_BUILD_DIR ?= $(BUILD_DIR)/fuzz
FUZZ_SECONDS ?= 300
FUZZ_CORPUS ?= $(FUZZ_BUILD_DIR)/corpus
# ccache hits across checkouts in different directories (CI clones afresh).
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all run build build-all test bench fuzz deps test-deps bench-deps fuzz-deps configure format format-check clean \
        image image-test

all: build

deps:
	@scripts/setup.sh build

test-deps:
	@scripts/setup.sh test

bench-deps:
	@scripts/setup.sh bench

fuzz-deps:
	@scripts/setup.sh fuzz

configure:
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); fi

build: deps configure
	cmake --build $(BUILD_DIR) --target tyto -j$(JOBS)

build-all: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	@mkdir -p data
	OMP_THREAD_LIMIT=$${OMP_THREAD_LIMIT:-1} $(BUILD_DIR)/tyto serve --listen $(LISTEN) --data-dir ./data \
	  --modules-vision-models-file config/models.json --modules-vision-models-dir $(BUILD_DIR)/models

test: test-deps
	@$(MAKE) --no-print-directory build-all
	tests/fuzz/run.sh build $(BUILD_DIR)/fuzz
	docker-compose -f docker-compose.yml config -q
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 $(CTEST_ARGS)
	tests/image/when_needed.sh $(BUILD_DIR)

bench: bench-deps
	@$(MAKE) --no-print-directory build-all
	tests/bench/run_all.sh $(BUILD_DIR)

fuzz: fuzz-deps
	tests/fuzz/run.sh all $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS) $(FUZZ_CORPUS)
	@if [ -n "$(FUZZ_MERGE)" ]; then tests/fuzz/run.sh merge $(FUZZ_BUILD_DIR) $(FUZZ_CORPUS); fi

image:
	scripts/image.sh build tyto:local

image-test:
	tests/image/image_test.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

format-check:
	scripts/format-check.sh

clean:
	rm -rf $(BUILD_DIR)
