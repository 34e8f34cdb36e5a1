# afxdp/: AF_XDP sockets over a shared UMEM, as libxvio-afxdp.a.
AFXDP_SRCS := afxdp/afxdp.c
AFXDP_OBJS := $(patsubst %.c,$(O)/%.o,$(AFXDP_SRCS))
AFXDP_LIB := $(O)/libxvio-afxdp.a

$(AFXDP_LIB): $(AFXDP_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
