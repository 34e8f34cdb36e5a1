# vhost/: libvhu.a, the vhost-user backend library (also built with sanitizers
# for the unit tests).
VHU_SRCS := vhost/vhu_sock.c vhost/vhu_msg.c vhost/vhu_mem.c vhost/vhu_vq.c vhost/vhu_net.c vhost/vhu_log.c
VHU_OBJS := $(patsubst %.c,$(O)/%.o,$(VHU_SRCS))
VHU_SAN_OBJS := $(patsubst %.c,$(O)/san/%.o,$(VHU_SRCS))
VHU_LIB := $(O)/libvhu.a

$(VHU_LIB): $(VHU_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
