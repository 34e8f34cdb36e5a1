# lib/: what every layer uses (logging, JSON writer, parsing helpers), as
# libxvio-util.a; also built with sanitizers for the unit tests.
UTIL_SRCS := lib/log.c lib/jsonw.c lib/util.c
UTIL_OBJS := $(patsubst %.c,$(O)/%.o,$(UTIL_SRCS))
UTIL_SAN_OBJS := $(patsubst %.c,$(O)/san/%.o,$(UTIL_SRCS))
UTIL_LIB := $(O)/libxvio-util.a

$(UTIL_LIB): $(UTIL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
