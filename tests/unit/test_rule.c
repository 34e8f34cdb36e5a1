// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of loader/rule.c (the text a user types -> table entries) and
 * user/jsonw.c. No root, no BPF; built with ASan and UBSan.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include "loader.h"
#include "jsonw.h"
#include "util.h"
#include "../lib/test.h"

TEST_GLOBALS("unit");

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define FLOW(key, act, ...) \
	loader_parse_flow(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), key, act, err, sizeof(err))
#define L2(key, act, ...) \
	loader_parse_l2(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), key, act, err, sizeof(err))

static char err[256];

static void test_parse_mac(void)
{
	__u8 m[6];

	ASSERT_OK(util_parse_mac("02:00:00:ab:CD:ef", m));
	ASSERT_EQ(m[0], 2);
	ASSERT_EQ(m[5], 0xef);
	ASSERT_OK(util_parse_mac("02-00-00-ab-cd-ef", m));
	ASSERT_EQ(util_parse_mac("02:00:00:ab:cd", m), -EINVAL);
	ASSERT_EQ(util_parse_mac("02:00:00:ab:cd:ef:", m), -EINVAL);
	ASSERT_EQ(util_parse_mac("02:00:00:ab:cd:eg", m), -EINVAL);
	ASSERT_EQ(util_parse_mac("0200:00:ab:cd:ef0", m), -EINVAL);
	ASSERT_EQ(util_parse_mac("", m), -EINVAL);
	ASSERT_EQ(util_parse_mac(NULL, m), -EINVAL);
}

static void test_parse_numbers(void)
{
	__u16 vid;
	__u32 v;
	__u8 proto;

	ASSERT_OK(loader_parse_vlan("4094", &vid));
	ASSERT_EQ(vid, 4094);
	ASSERT_TRUE(loader_parse_vlan("4095", &vid) < 0);
	ASSERT_TRUE(loader_parse_vlan("0", &vid) < 0);
	ASSERT_TRUE(loader_parse_vlan("-1", &vid) < 0);
	ASSERT_TRUE(loader_parse_vlan("12x", &vid) < 0);
	ASSERT_TRUE(util_parse_u32("99999999999999999999", 0xffffffffu, &v) < 0);
	ASSERT_OK(loader_parse_proto("udp", &proto));
	ASSERT_EQ(proto, 17);
	ASSERT_OK(loader_parse_proto("47", &proto));
	ASSERT_EQ(proto, 47);
	ASSERT_TRUE(loader_parse_proto("256", &proto) < 0);
	ASSERT_TRUE(loader_parse_proto("udpx", &proto) < 0);
}

static void test_parse_flow_good(void)
{
	struct xvio_flow_key k;
	struct xvio_action a;
	char buf[256];

	ASSERT_OK(FLOW(&k, &a, "vlan", "100", "inner-vlan", "200", "proto", "udp", "src",
		       "198.18.0.1", "sport", "1000", "dst", "198.18.0.2", "dport", "5000",
		       "action", "port", "7"));
	ASSERT_EQ(k.family, XVIO_FAMILY_IPV4);
	ASSERT_EQ(k.proto, 17);
	ASSERT_EQ(k.sport, 1000);
	ASSERT_EQ(k.dport, 5000);
	ASSERT_EQ(k.vlan_outer, 100);
	ASSERT_EQ(k.vlan_inner, 200);
	ASSERT_EQ(k.src[0], 198);
	ASSERT_EQ(k.dst[3], 2);
	ASSERT_EQ(k.src[4], 0);
	ASSERT_EQ(a.kind, XVIO_ACT_XSK);
	ASSERT_EQ(a.port, 7);
	ASSERT_OK(loader_format_flow(&k, buf, sizeof(buf)));
	ASSERT_EQ(strcmp(buf, "vlan 100 inner-vlan 200 proto udp src 198.18.0.1 dst 198.18.0.2 "
			      "sport 1000 dport 5000"),
		  0);

	ASSERT_OK(FLOW(&k, &a, "proto", "icmpv6", "src", "fd00::1", "dst", "fd00::2", "drop"));
	ASSERT_EQ(k.family, XVIO_FAMILY_IPV6);
	ASSERT_EQ(k.sport, 0);
	ASSERT_EQ(k.src[0], 0xfd);
	ASSERT_EQ(k.src[15], 1);
	ASSERT_EQ(a.kind, XVIO_ACT_DROP);

	ASSERT_OK(FLOW(&k, &a, "proto", "tcp", "src", "1.2.3.4", "dst", "5.6.7.8", "redirect",
		       "lo"));
	ASSERT_EQ(a.kind, XVIO_ACT_DEV);
	ASSERT_EQ(a.port, 1);
	/* A match alone (for del) takes no action. */
	ASSERT_OK(FLOW(&k, NULL, "proto", "tcp", "src", "1.2.3.4", "dst", "5.6.7.8"));
}

static void test_parse_flow_bad(void)
{
	struct xvio_flow_key k;
	struct xvio_action a;

	/* Each must fail with a message naming what is wrong. */
	ASSERT_EQ(FLOW(&k, &a, "proto", "udp", "src", "1.2.3.4", "drop"), -EINVAL);
	ASSERT_TRUE(strstr(err, "proto, src and dst") != NULL);
	ASSERT_EQ(FLOW(&k, &a, "proto", "udp", "src", "1.2.3.4", "dst", "fd00::1", "drop"), -EINVAL);
	ASSERT_TRUE(strstr(err, "different address families") != NULL);
	ASSERT_EQ(FLOW(&k, &a, "proto", "udp", "src", "1.2.3.4", "dst", "1.2.3.5"), -EINVAL);
	ASSERT_TRUE(strstr(err, "no action") != NULL);
	ASSERT_EQ(FLOW(&k, &a, "proto", "icmp", "src", "1.2.3.4", "dst", "1.2.3.5", "dport", "1",
		       "drop"),
		  -EINVAL);
	ASSERT_TRUE(strstr(err, "only match tcp and udp") != NULL);
	ASSERT_EQ(FLOW(&k, &a, "proto", "udp", "src", "1.2.3.999", "dst", "1.2.3.5", "drop"),
		  -EINVAL);
	ASSERT_TRUE(strstr(err, "1.2.3.999") != NULL);
	ASSERT_EQ(FLOW(&k, &a, "proto", "udp", "src", "1.2.3.4", "dst", "1.2.3.5", "sport",
		       "65536", "drop"),
		  -EINVAL);
	ASSERT_EQ(FLOW(&k, &a, "proto", "udp", "src", "1.2.3.4", "dst", "1.2.3.5", "port", "0"),
		  -EINVAL);
	ASSERT_TRUE(strstr(err, "flood port") != NULL);
	ASSERT_EQ(FLOW(&k, &a, "proto", "udp", "src", "1.2.3.4", "dst", "1.2.3.5", "port", "64"),
		  -EINVAL);
	ASSERT_EQ(FLOW(&k, &a, "proto", "udp", "src", "1.2.3.4", "dst", "1.2.3.5", "redirect",
		       "no-such-if0"),
		  -EINVAL);
	ASSERT_TRUE(strstr(err, "unknown interface") != NULL);
	ASSERT_EQ(FLOW(&k, &a, "proto", "udp", "src", "1.2.3.4", "dst", "1.2.3.5", "drop", "pass"),
		  -EINVAL);
	ASSERT_TRUE(strstr(err, "more than one action") != NULL);
	ASSERT_EQ(FLOW(&k, &a, "inner-vlan", "5", "proto", "udp", "src", "1.2.3.4", "dst",
		       "1.2.3.5", "drop"),
		  -EINVAL);
	ASSERT_EQ(FLOW(&k, &a, "proto"), -EINVAL);
	ASSERT_TRUE(strstr(err, "needs a value") != NULL);
	ASSERT_EQ(FLOW(&k, &a, "bogus", "1"), -EINVAL);
	ASSERT_TRUE(strstr(err, "unknown word 'bogus'") != NULL);
}

static void test_parse_l2(void)
{
	struct xvio_l2_key k;
	struct xvio_action a;
	char mac[18];

	ASSERT_OK(L2(&k, &a, "02:00:00:00:00:01", "vlan", "10", "port", "3"));
	ASSERT_EQ(k.vlan, 10);
	ASSERT_EQ(a.kind, XVIO_ACT_XSK);
	ASSERT_EQ(a.port, 3);
	util_format_mac(k.mac, mac);
	ASSERT_EQ(strcmp(mac, "02:00:00:00:00:01"), 0);
	ASSERT_OK(L2(&k, &a, "ff:ff:ff:ff:ff:ff", "action", "flood"));
	ASSERT_EQ(a.kind, XVIO_ACT_FLOOD);
	ASSERT_OK(L2(&k, NULL, "02:00:00:00:00:01"));
	ASSERT_EQ(L2(&k, &a, "02:00:00:00:00:0z", "drop"), -EINVAL);
	ASSERT_TRUE(strstr(err, "bad MAC address") != NULL);
	ASSERT_EQ(L2(&k, &a, "02:00:00:00:00:01", "vlan"), -EINVAL);
	ASSERT_EQ(L2(&k, &a, "02:00:00:00:00:01"), -EINVAL);
	ASSERT_EQ(L2(&k, NULL, "02:00:00:00:00:01", "drop"), -EINVAL);
}

static void test_format_action(void)
{
	struct xvio_action a = { .kind = XVIO_ACT_DEV, .port = 1 };
	char buf[64], tiny[4];

	ASSERT_OK(loader_format_action(&a, buf, sizeof(buf)));
	ASSERT_EQ(strcmp(buf, "redirect lo"), 0);
	a.port = 999999;
	ASSERT_OK(loader_format_action(&a, buf, sizeof(buf)));
	ASSERT_TRUE(strstr(buf, "gone") != NULL);
	a.kind = 200;
	ASSERT_OK(loader_format_action(&a, buf, sizeof(buf)));
	ASSERT_EQ(strcmp(buf, "unknown"), 0);
	a.kind = XVIO_ACT_XSK;
	a.port = 12;
	ASSERT_EQ(loader_format_action(&a, tiny, sizeof(tiny)), -ENAMETOOLONG);
}

static void test_stat_names(void)
{
	int i;

	for (i = 0; i < XVIO_STAT_MAX; i++) {
		ASSERT_TRUE(loader_stat_names[i] != NULL);
		ASSERT_TRUE(loader_stat_help[i] != NULL);
	}
	ASSERT_EQ(strcmp(loader_stat_names[XVIO_STAT_ERR_IPV4_IHL], "err_ipv4_ihl"), 0);
}

static void test_jsonw(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw w;

	ASSERT_TRUE(f != NULL);
	jsonw_init(&w, f);
	jsonw_obj_open(&w, NULL);
	jsonw_str(&w, "s", "a\"b\\c\n\x01");
	jsonw_u64(&w, "n", 18446744073709551615ull);
	jsonw_arr_open(&w, "a");
	jsonw_bool(&w, NULL, true);
	jsonw_i64(&w, NULL, -5);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	jsonw_end(&w);
	fclose(f);
	ASSERT_EQ(strcmp(buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":18446744073709551615,"
			      "\"a\":[true,-5]}\n"),
		  0);
	free(buf);
}

int main(void)
{
	RUN_TEST(test_parse_mac);
	RUN_TEST(test_parse_numbers);
	RUN_TEST(test_parse_flow_good);
	RUN_TEST(test_parse_flow_bad);
	RUN_TEST(test_parse_l2);
	RUN_TEST(test_format_action);
	RUN_TEST(test_stat_names);
	RUN_TEST(test_jsonw);
	TEST_EXIT();
}
