# loader/: libxvio-loader.a (attach/detach/maps/rules) and the xvio-loader command.
LOADER_SRCS := loader/loader.c loader/maps.c loader/rule.c
LOADER_OBJS := $(patsubst %.c,$(O)/%.o,$(LOADER_SRCS))
LOADER_LIB := $(O)/libxvio-loader.a
LOADER_BIN := $(O)/xvio-loader

# Everything that includes the skeleton must wait for it.
$(O)/loader/loader.o: $(SKEL)

$(LOADER_LIB): $(LOADER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LOADER_BIN): $(O)/loader/xvio-loader.o $(LOADER_LIB) $(UTIL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBXDP_LIBS) $(LIBBPF_LIBS)
