# SPDX-License-Identifier: GPL-2.0-or-later
# xvio: the only Makefile. Everything is built under $(O) (default build/);
# the source tree stays clean. `make help` lists the targets.

O ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= gcc
CFLAGS ?= -O2 -g
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' "$(1)" "$(2)";
endif

# Toolchain probes; regenerated when the script changes. Goals that first
# install dependencies and then build in a sub-make (test, demo, ...) must not
# probe before the install, so the top-level make skips the probe for them.
$(O)/config.mk: scripts/configure.sh
	$(Q)CC=$(CC) bash scripts/configure.sh $(O)
SETUP_GOALS := deps uninstall test test-unit test-fuzz test-bpf test-integ test-frontend test-guest demo bench fuzz clean help
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(SETUP_GOALS),$(MAKECMDGOALS)),)
SKIP_CONFIG := 1
endif
endif
ifndef SKIP_CONFIG
-include $(O)/config.mk
endif

XVIO_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -MMD -MP -Iheaders -I$(O) -Ilib -Iafxdp -Iloader -Ivhost -Iuser \
	-D_GNU_SOURCE $(LIBBPF_CFLAGS) $(LIBXDP_CFLAGS) $(SYSTEMD_CFLAGS) $(MHD_CFLAGS) $(INIH_CFLAGS)
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -Iheaders -Ibpf $(BPF_SYS_INC)

BPF_OBJ := $(O)/xvio.bpf.o
SKEL := $(O)/xvio_xdp.skel.h

include lib/build.mk
include afxdp/build.mk
include bpf/build.mk
include loader/build.mk
include vhost/build.mk
include user/build.mk
include tests/build.mk
include tests/fuzz/build.mk

all: $(BPF_OBJ) $(SKEL) $(UTIL_LIB) $(AFXDP_LIB) $(LOADER_BIN) $(VHU_LIB) $(XVIOD_BIN) $(XVIOCTL_BIN) $(TEST_BINS)

# --- generic rules --------------------------------------------------------
$(O)/%.o: %.c $(O)/config.mk
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XVIO_CFLAGS) -c $< -o $@

$(O)/san/%.o: %.c $(O)/config.mk
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN_FLAGS) $(XVIO_CFLAGS) -c $< -o $@

# --- tests, demo, bench ---------------------------------------------------
.PHONY: all deps uninstall test test-unit test-fuzz test-bpf test-integ test-frontend test-guest demo bench fuzz check install clean help

deps:
	$(Q)bash scripts/deps.sh test frontend guest libvirt

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash tests/run.sh $(O) $(TESTS)

test-bpf test-integ test-unit test-fuzz test-frontend test-guest: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash tests/run.sh $(O) $(patsubst test-%,%,$@)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash scripts/demo.sh $(O)

# Side by side with DPDK testpmd (net_af_xdp <-> net_vhost); BENCH_QUICK=1
# for a short run. Results: $(O)/bench/results.{md,json,png}.
bench:
	$(Q)bash scripts/deps.sh frontend bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash scripts/bench.sh $(O)

# The libFuzzer harnesses (tests/fuzz/), FUZZ_SECS each (default 300).
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)bash scripts/fuzz.sh $(O)

# Formatting report (.clang-format) and the sanitizer unit tests.
check: all
	$(Q)n=0; for f in $$(git ls-files '*.c' '*.h'); do \
		clang-format --dry-run --Werror "$$f" >/dev/null 2>&1 || { echo "  needs formatting: $$f"; n=$$((n+1)); }; \
	done; echo "clang-format: $$n file(s) differ from .clang-format (clang-format -i FILE to fix)"
	$(Q)bash tests/run.sh $(O) unit

# Installed files, for install and uninstall alike.
INSTALL_MAN := $(wildcard docs/man/*.8)
UNITDIR ?= $(PREFIX)/lib/systemd/system

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/bpf \
		$(DESTDIR)$(PREFIX)/share/doc/xvio/docs $(DESTDIR)$(PREFIX)/include/xvio \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(PREFIX)/share/doc/xvio/examples
	install -m 0755 $(LOADER_BIN) $(XVIOD_BIN) $(XVIOCTL_BIN) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 $(BPF_OBJ) $(DESTDIR)$(PREFIX)/lib/bpf/
	install -m 0644 headers/xvio/*.h $(DESTDIR)$(PREFIX)/include/xvio/
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/xvio/
	install -m 0644 docs/*.md docs/bench-results.json docs/bench-results.png \
		$(DESTDIR)$(PREFIX)/share/doc/xvio/docs/
	install -m 0644 $(INSTALL_MAN) $(DESTDIR)$(PREFIX)/share/man/man8/
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' dist/xviod.service.in >$(DESTDIR)$(UNITDIR)/xviod.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/xviod.service
	install -m 0644 dist/xviod.default $(DESTDIR)$(PREFIX)/share/doc/xvio/examples/xviod.default

# Every file install put there, and xvio's own directories (standard ones
# such as sbin/ or man8/ stay).
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/sbin/,xvio-loader xviod xvioctl) \
		$(DESTDIR)$(PREFIX)/lib/bpf/$(notdir $(BPF_OBJ)) \
		$(addprefix $(DESTDIR)$(PREFIX)/share/man/man8/,$(notdir $(INSTALL_MAN))) \
		$(DESTDIR)$(UNITDIR)/xviod.service
	rm -rf $(DESTDIR)$(PREFIX)/include/xvio $(DESTDIR)$(PREFIX)/share/doc/xvio
	-rmdir $(DESTDIR)$(PREFIX)/lib/bpf 2>/dev/null

clean:
	$(call msg,CLEAN,$(O))
	$(Q)rm -rf $(O)

help:
	@echo 'Targets:'
	@echo '  all         build everything into $(O)/ (default)'
	@echo '  test        install test dependencies, build, run every test suite'
	@echo '  test-unit | test-fuzz | test-bpf | test-integ | test-frontend | test-guest   one suite'
	@echo '  demo        boot a Linux guest on xvio behind a veth "NIC" and show traffic both ways'
	@echo '  bench       xvio against DPDK testpmd on the same veth, guests and cores'
	@echo '  fuzz        the libFuzzer harnesses, FUZZ_SECS (default 300) each'
	@echo '  deps        install what the tests need (scripts/deps.sh test frontend guest libvirt)'
	@echo '  check       build, clang-format dry run, the sanitizer unit tests'
	@echo '  install     install into $$(DESTDIR)$$(PREFIX) (default /usr/local): programs, man'
	@echo '              pages, the systemd unit (UNITDIR), docs; uninstall removes them'
	@echo '  clean       remove $(O)/'
	@echo 'Variables: O=dir V=1 CC= CLANG= BPFTOOL= PREFIX= DESTDIR= TESTS="bpf integ"'

-include $(shell find $(O) -name '*.d' 2>/dev/null)
