# synchub — the two commands of the quick start:
#   make demo   install what is missing, build, run the lead-to-cash quick start (simulators + synchub)
#   make test   install what is missing, build with ASan+UBSan, run every test
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# The binaries the demos run. The tests run each demo as the README shows it on their own build:
#   DEMO_DIR=/tmp/x ADMIN_PORT=18088 make -o build -o deps demo DEMO_BUILD=build/asan
# (DEMO_DIR: where the demo writes, instead of examples/*/demo-run; ADMIN_PORT: its admin API)
DEMO_BUILD ?= build/release

.PHONY: demo demo-cluster demo-tryton demo-k3cloud demo-files test chaos build deps bench format clean

deps:
	@scripts/install-deps

# build/release, its mapping library optimized with the profile of a training run (see the script)
build: deps
	JOBS=$(JOBS) scripts/build-release $(CMAKE_FLAGS)

demo: build
	examples/quickstart/run-demo $(DEMO_BUILD)

# the quick start on the Kafka bus (mock cluster) and PostgreSQL, two workers, one killed half-way
demo-cluster: build
	examples/quickstart/run-demo --cluster $(DEMO_BUILD) 30

# the real-ERP walkthrough: the CRM simulator and a real Tryton 6.0 (installed and started on loopback)
demo-tryton: build
	examples/tryton/run-demo $(DEMO_BUILD)

# Fxiaoke CRM -> Kingdee K3Cloud against their simulators: faults, expiring sessions, three SIGKILLs
demo-k3cloud: build
	examples/fxiaoke-to-k3cloud/run-demo $(DEMO_BUILD)

demo-files: build
	examples/file-to-file/run-demo $(DEMO_BUILD)/synchub

test: deps
	cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DSYNCHUB_SANITIZE=ON -DSYNCHUB_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	cmake --build build/asan -j $(JOBS)
	cd build/asan && ctest --output-on-failure -j $(JOBS) --timeout 900
	@# each connector can be left out: the binary builds, links and runs without it
	JOBS=$(JOBS) scripts/check-connectors-off
	@# fuzz targets (expression parser, mapping loader, record parser) for a bounded time
	cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNCHUB_FUZZ=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build build/fuzz -j $(JOBS)
	cd build/fuzz && ctest --output-on-failure -j $(JOBS)

# the fault matrix (SIGKILLs, ERP 5xx and 429s, drifting listings): a table of records expected,
# delivered once, lost, duplicated, dead-lettered; exit 1 when anything was lost or duplicated
chaos: deps
	cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DSYNCHUB_SANITIZE=ON -DSYNCHUB_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	cmake --build build/asan -j $(JOBS) --target synchub synchub-chaos
	build/asan/synchub-chaos

bench: build
	cmake -S . -B build/release -DSYNCHUB_BENCH=ON >/dev/null
	cmake --build build/release -j $(JOBS)
	bench/run build/release
	bench/mapping build/release
	bench/lead-to-cash build/release
	bench/reconcile build/release

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
