/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fixture the test_vhost_*.c binaries share: one vhost-user device of the
 * library (vhost/), a socketpair to it and the guest on the other end
 * (tests/lib/vdrv.c), plus helpers that move frames and send messages. Each
 * binary has its own cases and main(); RUN() tears the fixture down after each.
 */
#ifndef XVIO_TEST_VHOST_FIXTURE_H
#define XVIO_TEST_VHOST_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "vhu.h"
#include "../lib/test.h"
#include "../lib/vdrv.h"

#define MEM_GPA 0x100000ull /* default guest memory: one 8 MiB region */
#define MEM_SIZE (8ull << 20)
#define F_V1 VDRV_BIT(VDRV_F_VERSION_1)
#define F_IND VDRV_BIT(VDRV_F_INDIRECT)
#define F_EVT VDRV_BIT(VDRV_F_EVENT_IDX)
#define F_MRG VDRV_BIT(VDRV_NET_F_MRG_RXBUF)
#define F_PACKED VDRV_BIT(VDRV_F_RING_PACKED)
#define P_ACK (VDRV_BIT(VDRV_PROTOCOL_F_REPLY_ACK) | VDRV_BIT(VDRV_PROTOCOL_F_MQ))
#define NOFD VDRV_VRING_NOFD
#define SD(q, i) ((struct vdrv_desc *)(q)->desc + (i))
#define PD(q, i) ((struct vdrv_pdesc *)(q)->desc + (i))


/* Every case runs on a fresh fixture: fx_stop() after it, passed or not. */
#define RUN(fn)               \
	do {                  \
		RUN_TEST(fn); \
		fx_stop();    \
	} while (0)

/* ---- fixture: one device, one socketpair, the guest ------------------------ */

struct fx_cfg {
	uint64_t want;	    /* features the guest wants (gets want & offered) */
	uint64_t proto;	    /* protocol features the guest wants */
	uint64_t mask;	    /* vhu_dev_cfg.features_mask (0: everything) */
	unsigned int pairs; /* backend queue pairs (0: 1) */
	int nvqs;	    /* rings the guest sets up (0: 2) */
	uint16_t qsize;	    /* (0: 16) */
	uint16_t max_mtu;   /* vhu_dev_cfg.max_mtu (0: 65535) */
};

struct fixture {
	struct vhu_dev *dev;
	struct vdrv_dev d; /* the guest; d.mem may be filled before fx_start */
	int fe;		   /* frontend end of the socketpair */
	int stop_fd;	   /* eventfd that stops the backend thread */
	pthread_t thr;
	bool thr_on;
	pthread_mutex_t lock; /* log and qready are written by the backend thread */
	char log[16384];
	size_t loglen;
	unsigned int qready; /* bit i: ops->queue_state last said vq i is ready */
	void (*on_quiesce)(void); /* ops->quiesce runs it (a data path finishing) */
	char kicks[512];	  /* ops->kick_fd calls: "+1:7 -1:7 " (add/remove, ring, fd) */
	unsigned int rarps;	  /* ops->send_rarp calls */
};

extern struct fixture fx;
extern const struct fx_cfg base_cfg; /* F_V1 | F_IND, REPLY_ACK and MQ, ring of 16 */

/* The device, then the guest's whole handshake over a new socketpair. */
int fx_new(const struct fx_cfg *c);
int fx_connect(const struct fx_cfg *c);
int fx_start(const struct fx_cfg *c);
/* fx_start() with base_cfg but these features and ring size. */
int start(uint64_t want, uint16_t qsize);
/* The frontend goes away and comes back with a fresh guest. */
int fx_reconnect(const struct fx_cfg *c);
/* After every case, whether it passed or returned early. */
void fx_stop(void);
/* After the last case. */
void fx_free(void);

/* The library's log lines since the case started (VHU_TEST_LOG=1 prints them). */
bool log_has(const char *s);
void log_clear(void);

/* ---- helpers ------------------------------------------------------------- */

extern struct vhu_pkt pkts[VHU_BURST];
extern struct vhu_seg segs[VHU_BURST * VHU_MAX_SEGS];
extern uint8_t frame[VHU_MAX_FRAME + 64], got[VHU_MAX_FRAME + 64];
extern bool rx_try; /* rx_lens() offers with vhu_vq__enqueue_try() */

struct vhu_vq *vq(unsigned int i); /* the device's ring i */
struct vdrv_vq *dq(int i);	   /* the guest's ring i */
void fill(uint8_t *p, uint32_t len, uint32_t seed);
int pkt_is(const struct vhu_pkt *p, uint32_t len, uint32_t seed);

/* TX: the guest sends, the device dequeues from tx0 (vq 1). */
int tx(uint32_t len, uint32_t seed, int nsegs, bool indirect);
unsigned int deq(unsigned int n);
unsigned int run_tx(void);
int tx_expect(unsigned int n, uint32_t len, uint32_t seed);

/* RX: the device enqueues, the guest reads. */
unsigned int rx_lens(unsigned int vqi, unsigned int n, const uint32_t *lens, uint32_t seed,
		     unsigned int nsegs);
unsigned int rx(unsigned int n, uint32_t len, uint32_t seed);
int rx_is(int q, uint32_t len, uint32_t seed);
uint16_t rx_nbufs(void); /* num_buffers of the last frame read */
int rx_indirect_three(void);

/* Guest memory and rings, written raw. */
uint16_t used_idx(struct vdrv_vq *q);
int gcopy(uint64_t gpa, void *buf, uint32_t len, bool to_guest);
uint64_t galloc(uint32_t len);
/* A raw split descriptor; head @head made available (bypassing vdrv's
 * bookkeeping, for chains vdrv would never build). */
void setd(struct vdrv_desc *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
void spost(struct vdrv_vq *q, uint16_t head);

/* Messages, handled by this thread: req() alone, with REPLY_ACK, a GET_*. */
int req(uint32_t rq, uint32_t flags, const void *p, uint32_t size, const int *fds, int nfds);
int req_ack(uint32_t rq, const void *p, uint32_t size, const int *fds, int nfds);
int req_get(uint32_t rq, const void *p, uint32_t size, void *out, uint32_t outsize);

/* The device still works / refused the connection (closed, logged @why). */
int usable(void);
int expect_closed(int rc, const char *why);

#endif
