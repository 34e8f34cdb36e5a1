# user/: the daemon xviod and the CLI xvioctl.
XVIOD_SRCS := user/xviod.c user/poller.c user/fwd.c user/report.c user/ctl.c user/nic.c \
	user/sockperm.c user/metrics.c user/config.c user/state.c user/hotplug.c \
	user/nic_dp.c user/vport.c user/vport_dp.c user/offload.c
XVIOD_OBJS := $(patsubst %.c,$(O)/%.o,$(XVIOD_SRCS))
XVIOD_BIN := $(O)/xviod
XVIOCTL_BIN := $(O)/xvioctl

$(XVIOD_BIN): $(XVIOD_OBJS) $(VHU_LIB) $(LOADER_LIB) $(AFXDP_LIB) $(UTIL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBXDP_LIBS) $(LIBBPF_LIBS) $(SYSTEMD_LIBS) $(MHD_LIBS) $(INIH_LIBS) -lpthread

$(XVIOCTL_BIN): $(O)/user/xvioctl.o $(UTIL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^
