# Two commands on a fresh Debian 12 machine: `make demo` and `make test`.
# Both install the Debian packages they need when missing (apt-get; sudo when not root).

BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
MLLOOP := $(BUILD)/bin/mlloop

DEB_PACKAGES := cmake ninja-build g++ ccache pkg-config git \
  libxgboost-dev libsqlite3-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev \
  libssl-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev libeigen3-dev \
  libsodium-dev libdeflate-dev \
  libboost-dev libcpp-httplib-dev
# For `make bench` only: the HTTP load generator, the nginx ceiling and perf (serve_cpu.sh)
# of bench/serve/.
BENCH_PACKAGES := wrk nginx-light curl linux-perf
# For `make test` only: the HTML reports are checked in headless Chromium.
TEST_PACKAGES := chromium

.PHONY: all deps bench-deps test-deps configure build test demo bench asan clean

all: build

# $(call install_missing,PACKAGES): apt-get install those of PACKAGES not installed yet.
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "mlloop: installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))

bench-deps:
	$(call install_missing,$(BENCH_PACKAGES))

test-deps:
	$(call install_missing,$(TEST_PACKAGES))

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD)

test: build test-deps
	ctest --test-dir $(BUILD) --output-on-failure -j2

# The main job: the Elec2 stream replayed under the example policy and the baselines.
demo: build
	rm -rf $(BUILD)/demo-store
	$(MLLOOP) simulate examples/elec2/model.yaml --compare \
	  --store $(BUILD)/demo-store --json $(BUILD)/demo-result.json
	@echo
	$(MLLOOP) models show champion --store $(BUILD)/demo-store

bench: deps bench-deps
	cmake -S . -B $(BUILD)-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLLOOP_BUILD_BENCHMARKS=ON -DMLLOOP_BUILD_TESTS=OFF
	cmake --build $(BUILD)-bench

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer (Debug, build-asan/).
asan: deps
	cmake --preset asan
	cmake --build build-asan
	ctest --test-dir build-asan --output-on-failure -j2

clean:
	rm -rf $(BUILD) $(BUILD)-bench build-asan
