# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of meta.ko, plus the pipeline around it.
#
#   make setup     install the tools (Debian 12), idempotent
#   make kernel    unpack, patch (rust/*.patch), configure and build the kernel
#   make           build meta/meta.ko against that kernel
#   make tools     build tools/metactl (cargo), the BPF samples (clang),
#                  tools/iproute2/link_meta.so ("ip link ... type meta") and
#                  the netkit API clients (make tcnetkit)
#   make tcnetkit  the kernel tree's libbpf and bpftool, upstream's BPF
#                  selftest tc_netkit.c (for netkit and for meta) and
#                  nk_attach, in selftests/meta/tc_netkit/build
#                  (Documentation/netkit-compat.rst)
#                  the CNI plugin (make cni)
#   make cni       the CNI plugin tools/meta-cni/target/release/meta (cargo)
#                  and its test client, a Go program on Debian's libcni
#                  (Documentation/cni.rst)
#   make install   install link_meta.so into the plugin directory of Debian's
#                  ip (/usr/lib/x86_64-linux-gnu/ip); without installing:
#                  IP_LIB_DIR=$PWD/tools/iproute2 ip link help meta
#   make run       all of the above, then boot the VM and show a meta pair
#   make check     all of the above, then run the selftests in the VM
#                  (scripts/check.sh; TESTS="a.sh b.sh" runs only those,
#                  META_VM_SLOW=3 on a deliberately slowed VM)
#   make bench     the benchmark against host, veth and netkit, on a second
#                  kernel without the debug set (scripts/bench.sh); writes
#                  Documentation/bench/
#
# FLAVOUR=test (default, with the debug set) or FLAVOUR=bench.
# The kernel tree lives outside the repository: $(META_CACHE), default
# ~/.cache/meta. Any kernel tree with our series works too:
#   make -C $KDIR M=$PWD LLVM=1

FLAVOUR ?= test
export FLAVOUR
KDIR ?= $(shell scripts/kernel.sh kdir $(FLAVOUR))
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
	BINDGEN=$(HOME)/.cargo/bin/bindgen
export PATH := /usr/lib/llvm-19/bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: all modules clean setup kernel run check bench fuzz clippy rustfmt rustfmtcheck tools metactl samples \
	iproute2 install tcnetkit cni

all: modules

modules:
	$(KMAKE) modules

clippy:
	touch meta/meta.rs
	$(KMAKE) CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver modules

# The module is formatted with the kernel's rustfmt settings.
rustfmt:
	rustfmt --config-path $(KDIR)/.rustfmt.toml meta/meta.rs

rustfmtcheck:
	rustfmt --check --config-path $(KDIR)/.rustfmt.toml meta/meta.rs

clean:
	$(KMAKE) clean

setup:
	scripts/setup.sh

tools: metactl samples iproute2 tcnetkit cni

# cargo's target directories live in $(META_CACHE)/cargo-target, reached
# through a symlink tools/TOOL/target, so that a clean clone (CI) reuses the
# compiled dependencies and the binaries keep their paths.
META_CACHE ?= $(HOME)/.cache/meta
cargo_target = [ -e tools/$(1)/target ] || { mkdir -p $(META_CACHE)/cargo-target/$(1) && \
	ln -s $(META_CACHE)/cargo-target/$(1) tools/$(1)/target; }

metactl:
	@$(call cargo_target,metactl)
	cargo build --release --locked --manifest-path tools/metactl/Cargo.toml

# The CNI plugin (cargo; it shares metactl's netlink code as a path
# dependency) and the selftests' libcni client: Go in GOPATH mode against
# Debian's golang-github-appc-cni-dev in /usr/share/gocode, rebuilt only when
# its source changes.
CNI_HARNESS := tools/meta-cni/target/harness/meta-cni-harness
cni: $(CNI_HARNESS)
	cargo build --release --locked --manifest-path tools/meta-cni/Cargo.toml

$(CNI_HARNESS): tools/meta-cni/harness/main.go
	@$(call cargo_target,meta-cni)
	mkdir -p $(dir $@)
	cd tools/meta-cni/harness && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= \
		go build -o $(CURDIR)/$@ .

samples:
	$(MAKE) -C samples/bpf

# The "type meta" plugin of iproute2's ip (Documentation/iproute2.rst); a plain
# C shared object, built with the host's cc.
iproute2:
	$(MAKE) -C tools/iproute2

# User-space clients of netkit's BPF attach API, from the kernel tree's
# sources (selftests/meta/tc_netkit/Makefile; Documentation/netkit-compat.rst).
# Its build directory is in $(META_CACHE) too (the tree's libbpf and bpftool
# are rebuilt only when the kernel tree changes), through the symlink
# selftests/meta/tc_netkit/build.
tcnetkit:
	@[ -e selftests/meta/tc_netkit/build ] || { mkdir -p $(META_CACHE)/tcnetkit-build && \
		ln -s $(META_CACHE)/tcnetkit-build selftests/meta/tc_netkit/build; }
	$(MAKE) -C selftests/meta/tc_netkit KSRC=$(KDIR)

# IP_LIB_DIR: the directory compiled into ip ("strings $$(which ip)").
install: iproute2
	$(MAKE) -C tools/iproute2 install

kernel: setup
	scripts/kernel.sh build $(FLAVOUR)

run: kernel
	$(MAKE) modules tools
	scripts/vm.sh run

check:
	scripts/check.sh $(TESTS)

# The netlink fuzzer alone, as long as asked, from a new seed each time:
# make fuzz FUZZ_SECONDS=600 [FUZZ_SEED=N to replay a run]; make check runs
# it for 90 s from a fixed seed.
FUZZ_SECONDS ?= 600
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_REQUESTS=$${FUZZ_REQUESTS:-100000000} \
		FUZZ_SEED=$${FUZZ_SEED:-random} scripts/check.sh fuzz.sh

# scripts/bench.sh runs the set-up itself.
bench:
	scripts/bench.sh
