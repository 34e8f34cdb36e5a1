// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Text <-> table entries: parsing of flow and L2 rules as users type them on
 * the command line, and formatting for listings. Pure functions (apart from
 * resolving interface names); no maps, no BPF.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"
#include "util.h"

#define XVIO_STAT_NAME(id, name, help) [XVIO_STAT_##id] = name,
#define XVIO_STAT_HELP(id, name, help) [XVIO_STAT_##id] = help,
const char *const loader_stat_names[XVIO_STAT_MAX] = { XVIO_STATS(XVIO_STAT_NAME) };
const char *const loader_stat_help[XVIO_STAT_MAX] = { XVIO_STATS(XVIO_STAT_HELP) };

int loader_parse_vlan(const char *s, __u16 *vid)
{
	__u32 v;
	int err;

	/* 0 is "untagged" and 4095 is reserved (802.1Q-2018 Table 9-2). */
	err = util_parse_u32(s, 4094, &v);
	if (err || v == 0)
		return -ERANGE;
	*vid = (__u16)v;
	return 0;
}

int loader_parse_proto(const char *s, __u8 *proto)
{
	static const struct {
		const char *name;
		__u8 proto;
	} names[] = {
		{ "tcp", IPPROTO_TCP },
		{ "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP },
		{ "icmpv6", IPPROTO_ICMPV6 },
		{ "sctp", IPPROTO_SCTP },
		{ "gre", IPPROTO_GRE },
	};
	__u32 v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*proto = names[i].proto;
			return 0;
		}
	}
	if (util_parse_u32(s, 255, &v))
		return -EINVAL;
	*proto = (__u8)v;
	return 0;
}

static const char *const action_names[XVIO_ACT_MAX] = {
	[XVIO_ACT_NONE] = "none", [XVIO_ACT_XSK] = "port",	  [XVIO_ACT_DROP] = "drop",
	[XVIO_ACT_PASS] = "pass", [XVIO_ACT_DEV] = "redirect", [XVIO_ACT_FLOOD] = "flood",
};

const char *loader_action_name(__u32 kind)
{
	return kind < XVIO_ACT_MAX ? action_names[kind] : "unknown";
}

const char *loader_mode_name(enum loader_mode mode)
{
	switch (mode) {
	case LOADER_MODE_NATIVE:
		return "native";
	case LOADER_MODE_SKB:
		return "skb";
	default:
		return "auto";
	}
}

int loader_parse_mode(const char *s, enum loader_mode *mode)
{
	if (!strcmp(s, "native") || !strcmp(s, "drv"))
		*mode = LOADER_MODE_NATIVE;
	else if (!strcmp(s, "skb") || !strcmp(s, "generic"))
		*mode = LOADER_MODE_SKB;
	else if (!strcmp(s, "auto"))
		*mode = LOADER_MODE_AUTO;
	else
		return -EINVAL;
	return 0;
}

#define FAIL(...)                                     \
	do {                                          \
		snprintf(err, errlen, __VA_ARGS__);   \
		return -EINVAL;                       \
	} while (0)

/* Consume an action at argv[*i]; returns 1 if one was parsed, 0 if the word is
 * not an action, -EINVAL on a bad argument. */
static int parse_action(int argc, char **argv, int *i, struct xvio_action *act, char *err,
			size_t errlen)
{
	const char *w = argv[*i];
	__u32 v;

	if (!strcmp(w, "drop") || !strcmp(w, "pass") || !strcmp(w, "flood")) {
		act->kind = !strcmp(w, "drop") ? XVIO_ACT_DROP :
			    !strcmp(w, "pass") ? XVIO_ACT_PASS : XVIO_ACT_FLOOD;
		act->port = 0;
		return 1;
	}
	if (!strcmp(w, "port")) {
		if (*i + 1 >= argc)
			FAIL("'port' needs a guest port number (1..%d)", XVIO_MAX_PORTS - 1);
		if (util_parse_u32(argv[*i + 1], XVIO_MAX_PORTS - 1, &v) || v == 0)
			FAIL("bad guest port '%s': expected 1..%d (0 is the flood port)",
			     argv[*i + 1], XVIO_MAX_PORTS - 1);
		act->kind = XVIO_ACT_XSK;
		act->port = v;
		(*i)++;
		return 1;
	}
	if (!strcmp(w, "redirect")) {
		unsigned int idx;

		if (*i + 1 >= argc)
			FAIL("'redirect' needs an interface name");
		idx = if_nametoindex(argv[*i + 1]);
		if (!idx)
			FAIL("unknown interface '%s' for redirect", argv[*i + 1]);
		act->kind = XVIO_ACT_DEV;
		act->port = idx;
		(*i)++;
		return 1;
	}
	return 0;
}

static int parse_addr(const char *s, __u8 *family, __u8 addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = XVIO_FAMILY_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = XVIO_FAMILY_IPV6;
		return 0;
	}
	return -EINVAL;
}

int loader_parse_flow(int argc, char **argv, struct xvio_flow_key *key, struct xvio_action *act,
		      char *err, size_t errlen)
{
	struct xvio_flow_key k = {};
	struct xvio_action a = {};
	bool have_proto = false, have_src = false, have_dst = false, have_act = false;
	bool have_ports = false;
	__u8 fam_src = 0, fam_dst = 0;
	__u32 v;
	int i, r;

	for (i = 0; i < argc; i++) {
		const char *w = argv[i];
		const char *arg = i + 1 < argc ? argv[i + 1] : NULL;

		if (act && !strcmp(w, "action")) {
			if (!arg)
				FAIL("'action' needs port N, drop, pass, flood or redirect IFNAME");
			continue;
		}
		if (act) {
			r = parse_action(argc, argv, &i, &a, err, errlen);
			if (r < 0)
				return r;
			if (r > 0) {
				if (have_act)
					FAIL("more than one action given ('%s')", w);
				have_act = true;
				continue;
			}
		}
		if (!key)
			FAIL("unexpected '%s'", w);
		if (!arg)
			FAIL("'%s' needs a value", w);
		if (!strcmp(w, "vlan")) {
			if (loader_parse_vlan(arg, &k.vlan_outer))
				FAIL("bad VLAN ID '%s': expected 1..4094", arg);
		} else if (!strcmp(w, "inner-vlan")) {
			if (loader_parse_vlan(arg, &k.vlan_inner))
				FAIL("bad VLAN ID '%s': expected 1..4094", arg);
		} else if (!strcmp(w, "proto")) {
			if (loader_parse_proto(arg, &k.proto))
				FAIL("bad protocol '%s': expected tcp, udp, icmp, icmpv6 or 0..255",
				     arg);
			have_proto = true;
		} else if (!strcmp(w, "src")) {
			if (parse_addr(arg, &fam_src, k.src))
				FAIL("bad source address '%s': expected IPv4 or IPv6", arg);
			have_src = true;
		} else if (!strcmp(w, "dst")) {
			if (parse_addr(arg, &fam_dst, k.dst))
				FAIL("bad destination address '%s': expected IPv4 or IPv6", arg);
			have_dst = true;
		} else if (!strcmp(w, "sport") || !strcmp(w, "dport")) {
			if (util_parse_u32(arg, 65535, &v))
				FAIL("bad port '%s': expected 0..65535", arg);
			if (w[0] == 's')
				k.sport = (__u16)v;
			else
				k.dport = (__u16)v;
			have_ports = true;
		} else {
			FAIL("unknown word '%s'", w);
		}
		i++;
	}

	if (key) {
		if (!have_proto || !have_src || !have_dst)
			FAIL("a flow needs proto, src and dst (exact match)");
		if (fam_src != fam_dst)
			FAIL("src and dst are of different address families");
		if (k.vlan_inner && !k.vlan_outer)
			FAIL("inner-vlan needs vlan (the outer tag)");
		if (have_ports && k.proto != IPPROTO_TCP && k.proto != IPPROTO_UDP)
			FAIL("sport/dport only match tcp and udp");
		if (k.proto == IPPROTO_ICMP && fam_src == XVIO_FAMILY_IPV6)
			FAIL("proto icmp with IPv6 addresses: use icmpv6");
		if (k.proto == IPPROTO_ICMPV6 && fam_src == XVIO_FAMILY_IPV4)
			FAIL("proto icmpv6 with IPv4 addresses: use icmp");
		k.family = fam_src;
		*key = k;
	}
	if (act) {
		if (!have_act)
			FAIL("no action: give port N, drop, pass, flood or redirect IFNAME");
		*act = a;
	}
	return 0;
}

int loader_parse_l2(int argc, char **argv, struct xvio_l2_key *key, struct xvio_action *act,
		    char *err, size_t errlen)
{
	struct xvio_l2_key k = {};
	struct xvio_action a = {};
	bool have_act = false;
	int i, r;

	if (argc < 1)
		FAIL("missing MAC address");
	if (util_parse_mac(argv[0], k.mac))
		FAIL("bad MAC address '%s': expected six hex bytes like 02:00:00:00:00:01",
		     argv[0]);
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "vlan")) {
			if (i + 1 >= argc || loader_parse_vlan(argv[i + 1], &k.vlan))
				FAIL("bad VLAN ID '%s': expected 1..4094",
				     i + 1 < argc ? argv[i + 1] : "");
			i++;
			continue;
		}
		if (!act)
			FAIL("unexpected '%s'", w);
		if (!strcmp(w, "action"))
			continue;
		r = parse_action(argc, argv, &i, &a, err, errlen);
		if (r < 0)
			return r;
		if (r == 0)
			FAIL("unknown word '%s'", w);
		if (have_act)
			FAIL("more than one action given ('%s')", w);
		have_act = true;
	}
	if (act) {
		if (!have_act)
			FAIL("no action: give port N, drop, pass, flood or redirect IFNAME");
		*act = a;
	}
	if (key)
		*key = k;
	return 0;
}

static const char *proto_name(__u8 proto, char *tmp, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	}
	snprintf(tmp, len, "%u", proto);
	return tmp;
}

int loader_format_flow(const struct xvio_flow_key *k, char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], vlan[32] = "", ports[32] = "";
	char ptmp[8];
	int af = k->family == XVIO_FAMILY_IPV6 ? AF_INET6 : AF_INET;
	int n;

	if (!inet_ntop(af, k->src, src, sizeof(src)) || !inet_ntop(af, k->dst, dst, sizeof(dst)))
		return -EINVAL;
	if (k->vlan_outer && k->vlan_inner)
		snprintf(vlan, sizeof(vlan), "vlan %u inner-vlan %u ", k->vlan_outer, k->vlan_inner);
	else if (k->vlan_outer)
		snprintf(vlan, sizeof(vlan), "vlan %u ", k->vlan_outer);
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP)
		snprintf(ports, sizeof(ports), " sport %u dport %u", k->sport, k->dport);
	n = snprintf(buf, len, "%sproto %s src %s dst %s%s", vlan,
		     proto_name(k->proto, ptmp, sizeof(ptmp)), src, dst, ports);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int loader_format_action(const struct xvio_action *a, char *buf, size_t len)
{
	char ifname[IF_NAMESIZE];
	int n;

	switch (a->kind) {
	case XVIO_ACT_XSK:
		n = snprintf(buf, len, "port %u", a->port);
		break;
	case XVIO_ACT_DEV:
		if (if_indextoname(a->port, ifname))
			n = snprintf(buf, len, "redirect %s", ifname);
		else
			n = snprintf(buf, len, "redirect ifindex %u (gone)", a->port);
		break;
	default:
		n = snprintf(buf, len, "%s", loader_action_name(a->kind));
		break;
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
