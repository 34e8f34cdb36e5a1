# tests/fuzz/: libFuzzer harnesses (clang) for the vhost-user library: the
# message path (fuzz_msg), the memory table and translation (fuzz_mem), the
# descriptor walkers with guest memory as input (fuzz_vring), software
# offloads on hostile frames (fuzz_offload: user/offload.c). Built with
# ASan/UBSan; `make fuzz` runs them, tests/fuzz/run.sh smoke-tests them in
# `make test`.
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iheaders -Ivhost -Iuser $(FUZZ_SAN)
FUZZ_NAMES := vring msg mem offload
FUZZ_BINS := $(patsubst %,$(O)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_VHU_OBJS := $(patsubst %.c,$(O)/fuzz/%.o,$(VHU_SRCS))

$(O)/fuzz/%.o: %.c $(O)/config.mk
	$(call msg,CC-FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BINS): $(O)/fuzz/fuzz_%: $(O)/fuzz/tests/fuzz/fuzz_%.o $(FUZZ_VHU_OBJS) \
		$(O)/fuzz/tests/lib/vdrv.o $(O)/fuzz/user/offload.o
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^

TEST_BINS += $(FUZZ_BINS)
