# flightsw — every entry point a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages for cross builds and emulation (see DEVELOPERS.md).
SYSTEM_PACKAGES := gcc make python3-venv python3-dev gcc-arm-none-eabi libnewlib-arm-none-eabi \
                   qemu-system-arm qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
C_SOURCES := $(wildcard csrc/attitude/*.c csrc/attitude/*.h)
SECONDS ?= 60
BOARD ?= nucleo-f446re
QEMU_PORT ?= 5555
FIRMWARE_DIR := build/firmware

.PHONY: help setup test demo bench lint cross fuzz generated system-deps clean firmware qemu flash

help:
	@echo "make demo         set up and run the main job"
	@echo "make test         set up and run the test suite"
	@echo "make bench        benchmarks against peer implementations, with ratios"
	@echo "make lint         ruff and mypy"
	@echo "make cross        build the attitude core for aarch64 and Cortex-M4F, run the aarch64 test under qemu"
	@echo "make fuzz         fuzz the CCSDS decoders for SECONDS (default $(SECONDS))"
	@echo "make generated    regenerate the committed C headers and reference page from profile and dictionary"
	@echo "make system-deps  install the Debian packages for cross builds and emulation"
	@echo "make firmware     build the STM32 ADCS node firmware for both boards, print flash/RAM/stack use"
	@echo "make qemu         run the firmware under QEMU (netduinoplus2), its UART on TCP port QEMU_PORT ($(QEMU_PORT))"
	@echo "make flash        program BOARD (default nucleo-f446re) through its ST-LINK (OpenOCD or st-flash)"
	@echo "make hil          HIL suite on HIL_TARGETS ($(HIL_TARGETS)), one xdist worker each; report in out/hil/"
	@echo "make sysroot-arm64  Debian bookworm arm64 Python 3.11 sysroot in build/arm64 (private apt, no dpkg changes)"
	@echo "make wheel-arm64    cross-build the linux_aarch64 wheel (Raspberry Pi) into dist/"
	@echo "make test-arm64     the adcs and ccsds unit tests and a fly ping under qemu-aarch64 from that wheel"

setup: $(VENV)/.installed

# Re-install (which recompiles the cffi extensions) whenever the C core or its build script changes.
$(VENV)/.installed: pyproject.toml setup.py flightsw/adcs/_build.py $(C_SOURCES)
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,plot]'
	@touch $@

test: setup
	$(BIN)/python -m pytest -q

demo: setup
	$(BIN)/flightsw demo

bench: setup
	$(BIN)/python bench/attitude.py
	$(BIN)/python bench/ccsds.py
	$(BIN)/python bench/cdh.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy flightsw

cross:
	$(MAKE) -C csrc/attitude cross
	$(MAKE) -C csrc/ccsds cortex-m4

fuzz: setup
	$(BIN)/python -m flightsw.ccsds.fuzz --seconds $(SECONDS)

generated: setup
	$(BIN)/flightsw profile --c-header > csrc/generated/link_profile.h
	$(BIN)/flightsw dictionary c-header --write
	$(BIN)/flightsw dictionary markdown --write

firmware:
	$(MAKE) -C csrc/firmware/stm32f4

qemu: firmware
	PYTHONPATH=. $(PYTHON) -m flightsw.target.qemu --firmware $(FIRMWARE_DIR)/netduinoplus2/adcs-node.elf --port $(QEMU_PORT)

# The HIL suite, one pytest-xdist worker per target (each with its own emulator or port); JUnit XML and a
# Markdown report with plots per target under out/hil/<target>/.
HIL_TARGETS ?= sim qemu-stm32
.PHONY: hil
hil: setup
	$(BIN)/python -m pytest hil -n $(words $(HIL_TARGETS)) --dist loadgroup $(addprefix --target ,$(HIL_TARGETS)) \
		--junitxml=out/hil/junit.xml

flash:
	$(MAKE) -C csrc/firmware/stm32f4 flash BOARD=$(BOARD)

# The Raspberry Pi target (targets/rpi, README "Raspberry Pi"): arm64 without a board.
ARM64_BUILD := build/arm64
.PHONY: sysroot-arm64 wheel-arm64 test-arm64

sysroot-arm64:
	$(PYTHON) targets/rpi/sysroot.py --build-dir $(ARM64_BUILD)

wheel-arm64: setup sysroot-arm64
	$(BIN)/python targets/rpi/wheel.py --build-dir $(ARM64_BUILD) --dist dist

test-arm64: wheel-arm64
	$(BIN)/python targets/rpi/qemu_tests.py --build-dir $(ARM64_BUILD)

system-deps:
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES)

clean:
	rm -rf $(VENV) build *.egg-info flightsw/adcs/_attitude_*.so flightsw/adcs/_attitude_*.c
	$(MAKE) -C csrc/attitude clean
	$(MAKE) -C csrc/firmware/stm32f4 clean
