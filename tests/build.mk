# tests/: test binaries. Unit tests also build under ASan/UBSan ($(O)/san/).
TEST_LIB_OBJS := $(O)/tests/lib/pkt.o

$(O)/tests/bpf/test_xvio_bpf.o: $(SKEL)
$(O)/tests/bpf/test_xvio_bpf: $(O)/tests/bpf/test_xvio_bpf.o $(TEST_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBXDP_LIBS) $(LIBBPF_LIBS)

TEST_BINS := $(O)/tests/bpf/test_xvio_bpf

$(O)/tests/tools/xvio-pkt: $(O)/tests/tools/xvio-pkt.o $(TEST_LIB_OBJS) $(LOADER_LIB) $(UTIL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBXDP_LIBS) $(LIBBPF_LIBS)

TEST_BINS += $(O)/tests/tools/xvio-pkt

# The AF_XDP library's multi-buffer paths on a veth (tests/integ/test-afxdp.sh).
$(O)/tests/tools/afxdp-check: $(O)/tests/tools/afxdp-check.o $(AFXDP_LIB) $(LOADER_LIB) $(UTIL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBXDP_LIBS) $(LIBBPF_LIBS)

TEST_BINS += $(O)/tests/tools/afxdp-check

# Unit tests: linked against sanitizer builds of the modules they test.
$(O)/tests/unit/test_rule: $(O)/san/tests/unit/test_rule.o $(O)/san/loader/rule.o \
		$(UTIL_SAN_OBJS)
	$(call msg,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -g $(SAN_FLAGS) -o $@ $^

TEST_BINS += $(O)/tests/unit/test_rule

$(O)/tests/tools/vu-peer: $(O)/tests/tools/vu-peer.o $(O)/tests/lib/vdrv.o $(UTIL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

TEST_BINS += $(O)/tests/tools/vu-peer

# Software segmentation against the kernel's (tests/integ/test-offload.sh).
$(O)/tests/tools/gso-check: $(O)/tests/tools/gso-check.o $(O)/user/offload.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

TEST_BINS += $(O)/tests/tools/gso-check

# Runs inside the test guest (scripts/guest-build.sh puts it in the
# initramfs): static, nothing of ours but the payload checker.
$(O)/tests/tools/udp-check: tests/tools/udp-check.c tests/lib/pkt.c tests/lib/pkt.h
	$(call msg,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror -static -o $@ tests/tools/udp-check.c tests/lib/pkt.c

TEST_BINS += $(O)/tests/tools/udp-check

# The vhost-user library's tests: one binary per area, one shared fixture.
VHOST_TESTS := handshake split notify packed hostile msg frontend migrate offload
VHOST_TEST_BINS := $(patsubst %,$(O)/tests/unit/test_vhost_%,$(VHOST_TESTS))

$(VHOST_TEST_BINS): $(O)/tests/unit/test_vhost_%: $(O)/san/tests/unit/test_vhost_%.o \
		$(O)/san/tests/unit/vhost_fixture.o $(O)/san/tests/lib/vdrv.o $(VHU_SAN_OBJS)
	$(call msg,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -g $(SAN_FLAGS) -o $@ $^ -lpthread

TEST_BINS += $(VHOST_TEST_BINS)

$(O)/tests/unit/test_fwd: $(O)/san/tests/unit/test_fwd.o $(O)/san/user/fwd.o
	$(call msg,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -g $(SAN_FLAGS) -o $@ $^ -lpthread

TEST_BINS += $(O)/tests/unit/test_fwd

$(O)/tests/unit/test_offload: $(O)/san/tests/unit/test_offload.o $(O)/san/user/offload.o
	$(call msg,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -g $(SAN_FLAGS) -o $@ $^

TEST_BINS += $(O)/tests/unit/test_offload

# make bench: the generator and latency probe.
$(O)/tests/bench/xvio-gen: $(O)/tests/bench/xvio-gen.o $(TEST_LIB_OBJS) $(LOADER_LIB) $(UTIL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBXDP_LIBS) $(LIBBPF_LIBS)

TEST_BINS += $(O)/tests/bench/xvio-gen

# LD_PRELOAD fault injection: an XSKMAP that refuses sockets.
$(O)/tests/tools/fail-xskmap.so: tests/tools/fail-xskmap.c $(O)/config.mk
	$(call msg,CC-SO,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XVIO_CFLAGS) -fPIC -shared -o $@ $< $(LIBBPF_LIBS) -ldl

TEST_BINS += $(O)/tests/tools/fail-xskmap.so
