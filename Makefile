# The two commands of the README: `make demo` and `make test`. Both install the Debian packages
# that are missing (as root: apt-get), configure and build build/ (Release), then run.
PACKAGES := cmake g++ make ninja-build libtorch-dev libinsighttoolkit5-dev libyaml-cpp-dev libcli11-dev \
            libfccp-dev libspdlog-dev libgloo-dev libgtest-dev python3-yaml
BUILD_DIR ?= build
JOBS ?= 2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps configure build test demo bench clean format

all: build

deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	else echo "all Debian packages present"; fi

# Ninja: it compiles a target's sources while the libraries it links are still being built (the
# Makefile generator waits for them), which keeps both cores busy. An existing build folder keeps
# the generator it was made with.
GENERATOR := $(if $(wildcard $(BUILD_DIR)/CMakeCache.txt),,-G Ninja)

configure: deps
	cmake -S . -B $(BUILD_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 1500

# The demo needs only the fmcib binary: the tests are not compiled for it.
demo: configure
	cmake --build $(BUILD_DIR) -j$(JOBS) --target fmcib
	./scripts/demo.sh $(BUILD_DIR)

bench: deps
	cmake -S . -B $(BUILD_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release -DFMCIB_BUILD_BENCH=ON
	cmake --build $(BUILD_DIR) -j$(JOBS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD_DIR)
