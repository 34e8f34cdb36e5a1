# bpf/: the XDP object and its libbpf skeleton.
BPF_SRCS := bpf/xvio.bpf.c
BPF_HDRS := $(wildcard bpf/lib/*.h headers/xvio/*.h)

# clang output is linked by `bpftool gen object` (strips DWARF sections the
# kernel does not need, keeps BTF) into the object users install.
$(O)/bpf/xvio.tmp.o: bpf/xvio.bpf.c $(BPF_HDRS) $(O)/config.mk
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_OBJ): $(O)/bpf/xvio.tmp.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xvio_xdp > $@ 2> $@.log || { cat $@.log; exit 1; }

.SECONDARY: $(O)/bpf/xvio.tmp.o $(SKEL)
