// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xvio-loader: attach/detach/status of xvio's XDP program on an interface,
 * and the flow and L2 tables in its pinned maps. A thin command line over
 * loader/; exit status 0 on success, 1 on failure, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"
#include "jsonw.h"
#include "util.h"

static struct {
	bool json;
	bool replace;
	bool force;
	int verbose;
	enum loader_mode mode;
} opt;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xvio-loader [OPTIONS] COMMAND IFNAME [ARGS]\n"
		"\n"
		"Commands:\n"
		"  attach IFNAME [--mode native|skb|auto] [--replace]\n"
		"  detach IFNAME [--force]\n"
		"  status IFNAME\n"
		"  stats IFNAME\n"
		"  flow add IFNAME MATCH ACTION [--replace]\n"
		"  flow del IFNAME MATCH\n"
		"  flow list IFNAME\n"
		"  l2 add IFNAME MAC [vlan V] ACTION [--replace]\n"
		"  l2 del IFNAME MAC [vlan V]\n"
		"  l2 list IFNAME\n"
		"\n"
		"MATCH:  [vlan V [inner-vlan V]] proto tcp|udp|icmp|icmpv6|N src IP [sport N]\n"
		"        dst IP [dport N]          (exact match; ports only for tcp/udp)\n"
		"ACTION: [action] port N | drop | pass | flood | redirect IFNAME\n"
		"\n"
		"Options:\n"
		"  -m, --mode MODE   attach mode: native, skb or auto (native, then skb; default)\n"
		"  -r, --replace     replace an existing program or table entry\n"
		"  -f, --force       detach a program that is not xvio's\n"
		"  -j, --json        machine-readable output\n"
		"  -v, --verbose     more messages (twice: libbpf/libxdp debug)\n"
		"  -h, --help        this text\n"
		"\n"
		"Maps are pinned in " XVIO_PIN_ROOT "/IFNAME/; inspect them with\n"
		"`bpftool map dump pinned " XVIO_PIN_ROOT "/IFNAME/xvio_flows`.\n");
}

static void print_cb(enum loader_level level, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "" };
	size_t n = strlen(fmt);

	fputs("xvio-loader: ", stderr);
	fputs(tag[level], stderr);
	vfprintf(stderr, fmt, ap);
	if (!n || fmt[n - 1] != '\n')
		fputc('\n', stderr);
}

static int cmd_attach(const char *ifname)
{
	struct loader_status st;
	int err = loader_attach(ifname, opt.mode, opt.replace, &st);

	if (err)
		return 1;
	printf("%s: attached %s (prog id %u) in %s mode, %s\n", ifname, st.prog_name, st.prog_id,
	       st.mode,
	       st.dispatcher ? "with libxdp's multiprog dispatcher" :
			       "as a single program (libxdp dispatcher not available)");
	printf("%s: maps pinned in %s\n", ifname, st.pin_dir);
	return 0;
}

static int cmd_detach(const char *ifname)
{
	if (loader_detach(ifname, opt.force))
		return 1;
	printf("%s: detached\n", ifname);
	return 0;
}

static int cmd_status(const char *ifname)
{
	struct loader_status st;
	struct jsonw w;

	if (loader_status(ifname, &st))
		return 1;
	if (opt.json) {
		jsonw_init(&w, stdout);
		jsonw_obj_open(&w, NULL);
		jsonw_str(&w, "ifname", st.ifname);
		jsonw_i64(&w, "ifindex", st.ifindex);
		jsonw_bool(&w, "attached", st.attached);
		jsonw_bool(&w, "xvio", st.ours);
		jsonw_str(&w, "mode", st.mode);
		jsonw_u64(&w, "prog_id", st.prog_id);
		jsonw_str(&w, "prog_name", st.prog_name);
		jsonw_bool(&w, "dispatcher", st.dispatcher);
		jsonw_i64(&w, "programs", st.nprogs);
		jsonw_str(&w, "pin_dir", st.pin_dir);
		jsonw_bool(&w, "maps_pinned", st.maps_pinned);
		jsonw_bool(&w, "maps_live", st.maps_live);
		jsonw_obj_close(&w);
		jsonw_end(&w);
		return 0;
	}
	printf("interface:   %s (ifindex %d)\n", st.ifname, st.ifindex);
	if (!st.attached) {
		printf("xdp:         none attached\n");
	} else {
		printf("xdp:         %s (prog id %u) %s\n", st.prog_name, st.prog_id,
		       st.ours ? "" : "- not xvio's program");
		printf("mode:        %s\n", st.mode);
		printf("dispatcher:  %s\n",
		       st.dispatcher ? "yes (libxdp multiprog)" : "no (single program)");
		if (st.dispatcher)
			printf("programs:    %d behind the dispatcher\n", st.nprogs);
	}
	printf("maps:        %s %s\n", st.pin_dir,
	       !st.maps_pinned ? "(not pinned)" :
	       st.maps_live	 ? "(in use by the attached program)" :
				   "(stale: no attached program uses them)");
	return 0;
}

static int cmd_stats(const char *ifname)
{
	struct xvio_stat_val s[XVIO_STAT_MAX];
	struct loader_maps *m;
	struct jsonw w;
	int i, err;

	if (loader_maps__open(ifname, false, &m))
		return 1;
	err = loader_maps__stats(m, s);
	loader_maps__close(m);
	if (err) {
		fprintf(stderr, "xvio-loader: %s: cannot read counters: %s\n", ifname,
			strerror(-err));
		return 1;
	}
	if (opt.json) {
		jsonw_init(&w, stdout);
		jsonw_obj_open(&w, NULL);
		jsonw_str(&w, "ifname", ifname);
		jsonw_obj_open(&w, "counters");
		for (i = 0; i < XVIO_STAT_MAX; i++) {
			jsonw_obj_open(&w, loader_stat_names[i]);
			jsonw_u64(&w, "packets", s[i].packets);
			jsonw_u64(&w, "bytes", s[i].bytes);
			jsonw_obj_close(&w);
		}
		jsonw_obj_close(&w);
		jsonw_obj_close(&w);
		jsonw_end(&w);
		return 0;
	}
	printf("%-16s %14s %16s  %s\n", "counter", "packets", "bytes", "meaning");
	for (i = 0; i < XVIO_STAT_MAX; i++) {
		if (!s[i].packets && opt.verbose == 0 && i != XVIO_STAT_RX)
			continue;
		printf("%-16s %14llu %16llu  %s\n", loader_stat_names[i],
		       (unsigned long long)s[i].packets, (unsigned long long)s[i].bytes,
		       loader_stat_help[i]);
	}
	if (!opt.verbose)
		printf("(counters at zero are hidden; -v shows all)\n");
	return 0;
}

struct list_ctx {
	struct jsonw w;
	int n;
};

static int print_flow(const struct xvio_flow_key *k, const struct xvio_action *a, void *arg)
{
	struct list_ctx *c = arg;
	char match[256], act[64];

	if (loader_format_flow(k, match, sizeof(match)) ||
	    loader_format_action(a, act, sizeof(act)))
		return -EINVAL;
	c->n++;
	if (opt.json) {
		jsonw_obj_open(&c->w, NULL);
		jsonw_u64(&c->w, "ifindex", k->ifindex);
		jsonw_str(&c->w, "match", match);
		jsonw_str(&c->w, "action", loader_action_name(a->kind));
		jsonw_u64(&c->w, "port", a->port);
		jsonw_str(&c->w, "action_text", act);
		jsonw_obj_close(&c->w);
	} else {
		printf("%-70s -> %s\n", match, act);
	}
	return 0;
}

static int print_l2(const struct xvio_l2_key *k, const struct xvio_action *a, void *arg)
{
	struct list_ctx *c = arg;
	char mac[UTIL_MAC_STR_LEN], act[64];

	util_format_mac(k->mac, mac);
	if (loader_format_action(a, act, sizeof(act)))
		return -EINVAL;
	c->n++;
	if (opt.json) {
		jsonw_obj_open(&c->w, NULL);
		jsonw_str(&c->w, "mac", mac);
		jsonw_u64(&c->w, "vlan", k->vlan);
		jsonw_str(&c->w, "action", loader_action_name(a->kind));
		jsonw_u64(&c->w, "port", a->port);
		jsonw_str(&c->w, "action_text", act);
		jsonw_obj_close(&c->w);
	} else {
		printf("%-17s vlan %-4u -> %s\n", mac, k->vlan, act);
	}
	return 0;
}

/* flow|l2 add|del|list IFNAME ARGS... */
static int cmd_table(bool is_flow, int argc, char **argv)
{
	const char *verb = argv[0], *ifname = argv[1];
	struct xvio_flow_key fk;
	struct xvio_l2_key lk;
	struct xvio_action act;
	struct loader_maps *m;
	struct list_ctx lc = {};
	bool add = !strcmp(verb, "add"), del = !strcmp(verb, "del"), list = !strcmp(verb, "list");
	char errbuf[256];
	int err;

	if (!add && !del && !list) {
		fprintf(stderr, "xvio-loader: unknown %s command '%s' (add, del, list)\n",
			is_flow ? "flow" : "l2", verb);
		return 2;
	}
	if (list && argc > 2) {
		fprintf(stderr, "xvio-loader: unexpected '%s' after %s list IFNAME\n", argv[2],
			is_flow ? "flow" : "l2");
		return 2;
	}
	if (!list) {
		if (is_flow)
			err = loader_parse_flow(argc - 2, argv + 2, &fk, add ? &act : NULL, errbuf,
						sizeof(errbuf));
		else
			err = loader_parse_l2(argc - 2, argv + 2, &lk, add ? &act : NULL, errbuf,
					      sizeof(errbuf));
		if (err) {
			fprintf(stderr, "xvio-loader: %s %s: %s\n", is_flow ? "flow" : "l2", verb,
				errbuf);
			return 2;
		}
	}
	if (loader_maps__open(ifname, true, &m))
		return 1;
	if (list) {
		if (opt.json) {
			jsonw_init(&lc.w, stdout);
			jsonw_arr_open(&lc.w, NULL);
		}
		err = is_flow ? loader_maps__flow_foreach(m, print_flow, &lc) :
				loader_maps__l2_foreach(m, print_l2, &lc);
		if (opt.json) {
			jsonw_arr_close(&lc.w);
			jsonw_end(&lc.w);
		} else if (!lc.n) {
			printf("(%s table on %s is empty)\n", is_flow ? "flow" : "L2", ifname);
		}
	} else if (is_flow) {
		err = add ? loader_maps__flow_add(m, &fk, &act, opt.replace) :
			    loader_maps__flow_del(m, &fk);
	} else {
		err = add ? loader_maps__l2_add(m, &lk, &act, opt.replace) :
			    loader_maps__l2_del(m, &lk);
	}
	loader_maps__close(m);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' }, { "replace", no_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },	  { "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },	  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c;

	/* "+" would stop at the first word; we allow options anywhere, but
	 * negative numbers never occur in our grammar, so permuting is safe. */
	while ((c = getopt_long(argc, argv, "m:rfjvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (loader_parse_mode(optarg, &opt.mode)) {
				fprintf(stderr,
					"xvio-loader: bad mode '%s': expected native, skb or auto\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			opt.replace = true;
			break;
		case 'f':
			opt.force = true;
			break;
		case 'j':
			opt.json = true;
			break;
		case 'v':
			opt.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	loader_set_print(print_cb, opt.verbose >= 2 ? LOADER_DEBUG :
				   opt.verbose	    ? LOADER_INFO :
						      LOADER_WARN);
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	cmd = argv[0];
	if (!strcmp(cmd, "flow") || !strcmp(cmd, "l2")) {
		if (argc < 3) {
			fprintf(stderr, "xvio-loader: usage: %s add|del|list IFNAME ...\n", cmd);
			return 2;
		}
		return cmd_table(!strcmp(cmd, "flow"), argc - 1, argv + 1);
	}
	if (argc != 2) {
		if (argc < 2)
			fprintf(stderr, "xvio-loader: %s needs an interface name\n", cmd);
		else
			fprintf(stderr, "xvio-loader: unexpected '%s' after %s %s\n", argv[2], cmd,
				argv[1]);
		return 2;
	}
	if (!strcmp(cmd, "attach"))
		return cmd_attach(argv[1]);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(argv[1]);
	if (!strcmp(cmd, "status"))
		return cmd_status(argv[1]);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argv[1]);
	fprintf(stderr, "xvio-loader: unknown command '%s' (see --help)\n", cmd);
	return 2;
}
