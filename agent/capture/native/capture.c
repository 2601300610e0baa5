/*
 * The capture thread: pcap_dispatch over the TPACKET_V3 ring, copying each
 * packet as a ready-made nanosecond pcap record into the slot being filled.
 * A slot is handed to JavaScript when it is full or when pcap_dispatch returns
 * (a retired block or the poll timeout), so batches flush every timeout_ms.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "capture.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TD_DRAIN_SLACK_MS 30
#define TD_DRAIN_PAUSE_NS 5000000L
/* After a stop, a full pool is waited for this long at most (JavaScript is
 * still writing the held batches); then the rest is counted as agent drops. */
#define TD_STOP_WAIT_MS 2000
#define TD_WAIT_STEP_MS 50

static void set_error(char *err, size_t err_len, const char *what, const char *detail) {
  snprintf(err, err_len, "%s: %s", what, detail);
}

int td_open(struct td_capture *cap, const struct td_capture_options *opts, char *err, size_t err_len) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t *p = pcap_create(opts->device, errbuf);
  if (p == NULL) {
    set_error(err, err_len, "pcap_create", errbuf);
    return -1;
  }
  int rc = 0;
  if (pcap_set_snaplen(p, opts->snaplen) != 0 || pcap_set_buffer_size(p, opts->buffer_bytes) != 0 ||
      pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0 || pcap_set_immediate_mode(p, 0) != 0 ||
      pcap_set_timeout(p, opts->timeout_ms) != 0) {
    set_error(err, err_len, "pcap_set_*", "cannot configure handle");
    pcap_close(p);
    return -1;
  }
  rc = pcap_activate(p);
  if (rc < 0) {
    const char *msg = pcap_geterr(p);
    snprintf(err, err_len, "pcap_activate(%s): %s%s%s", opts->device, pcap_statustostr(rc),
             msg != NULL && msg[0] != '\0' ? ": " : "", msg != NULL ? msg : "");
    pcap_close(p);
    return -1;
  }
  struct bpf_program prog;
  if (pcap_compile(p, &prog, opts->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    snprintf(err, err_len, "%s", pcap_geterr(p));
    pcap_close(p);
    return TD_OPEN_BAD_FILTER;
  }
  rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    set_error(err, err_len, "pcap_setfilter", pcap_geterr(p));
    pcap_close(p);
    return TD_OPEN_BAD_FILTER;
  }
  cap->pcap = p;
  cap->link_type = pcap_datalink(p);
  cap->snaplen = pcap_snapshot(p);
  cap->timeout_ms = opts->timeout_ms;
  cap->filling = -1;
  atomic_init(&cap->stop, 0);
  pthread_mutex_init(&cap->lock, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&cap->slot_freed, &attr);
  pthread_condattr_destroy(&attr);
  cap->stop_wait_until_ms = -1;
  return 0;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int take_free_slot(struct td_capture *cap) {
  for (int i = 0; i < cap->slot_count; i++) {
    if (cap->slots[i].state == TD_SLOT_FREE) {
      cap->slots[i].state = TD_SLOT_FILLING;
      cap->slots[i].length = 0;
      cap->slots[i].packets = 0;
      cap->slots[i].last_offset = 0;
      return i;
    }
  }
  return -1;
}

/* Takes a free slot for filling. When JavaScript holds every slot the thread
 * waits for one (back-pressure): meanwhile the kernel ring keeps filling, and
 * what it cannot hold the kernel drops and counts (ps_drop). Only after a stop
 * does the wait end, after TD_STOP_WAIT_MS, with -1 (counted as agent drops). */
static int acquire_slot(struct td_capture *cap) {
  pthread_mutex_lock(&cap->lock);
  int found = take_free_slot(cap);
  if (found < 0) cap->stats.pool_waits += 1;
  while (found < 0) {
    int64_t now = now_ms();
    if (atomic_load(&cap->stop)) {
      if (cap->stop_wait_until_ms < 0) cap->stop_wait_until_ms = now + TD_STOP_WAIT_MS;
      if (now >= cap->stop_wait_until_ms) break;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += TD_WAIT_STEP_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec += 1;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&cap->slot_freed, &cap->lock, &until);
    found = take_free_slot(cap);
  }
  pthread_mutex_unlock(&cap->lock);
  return found;
}

static void flush_filling(struct td_capture *cap) {
  int i = cap->filling;
  if (i < 0 || cap->slots[i].packets == 0) return;
  pthread_mutex_lock(&cap->lock);
  cap->slots[i].state = TD_SLOT_QUEUED;
  cap->stats.delivered += cap->slots[i].packets;
  pthread_mutex_unlock(&cap->lock);
  cap->filling = -1;
  cap->deliver(cap, i);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  struct td_capture *cap = (struct td_capture *)user;
  size_t need = TD_RECORD_HEADER_BYTES + h->caplen;
  if (cap->filling >= 0 && cap->slots[cap->filling].length + need > cap->slot_bytes) flush_filling(cap);
  if (cap->filling < 0) {
    cap->filling = acquire_slot(cap);
    if (cap->filling >= 0) cap->filling_since_ms = now_ms();
  }
  if (cap->filling < 0 || need > cap->slot_bytes) {
    pthread_mutex_lock(&cap->lock);
    cap->stats.agent_dropped += 1;
    cap->stats.agent_dropped_bytes += h->len;
    pthread_mutex_unlock(&cap->lock);
    return;
  }
  struct td_slot *s = &cap->slots[cap->filling];
  /* With PCAP_TSTAMP_PRECISION_NANO, tv_usec carries nanoseconds. */
  uint32_t hdr[4] = {(uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, h->caplen, h->len};
  memcpy(s->data + s->length, hdr, sizeof hdr);
  memcpy(s->data + s->length + sizeof hdr, bytes, h->caplen);
  s->last_offset = s->length;
  s->length += need;
  s->packets += 1;
}

static void poll_stats(struct td_capture *cap) {
  struct pcap_stat ps;
  if (pcap_stats(cap->pcap, &ps) != 0) return;
  pthread_mutex_lock(&cap->lock);
  /* Unsigned 32-bit deltas survive the counters wrapping around. */
  cap->stats.received += (uint32_t)(ps.ps_recv - cap->last_recv);
  cap->stats.kernel_dropped += (uint32_t)(ps.ps_drop - cap->last_drop);
  cap->stats.interface_dropped += (uint32_t)(ps.ps_ifdrop - cap->last_ifdrop);
  cap->last_recv = ps.ps_recv;
  cap->last_drop = ps.ps_drop;
  cap->last_ifdrop = ps.ps_ifdrop;
  pthread_mutex_unlock(&cap->lock);
}

static void record_dispatch_error(struct td_capture *cap) {
  pthread_mutex_lock(&cap->lock);
  set_error(cap->error, sizeof cap->error, "pcap_dispatch", pcap_geterr(cap->pcap));
  pthread_mutex_unlock(&cap->lock);
}

/* After a stop, reads what is already in the ring: the kernel retires a
 * partially filled block only after the block timeout, so poll for that long. */
static void drain(struct td_capture *cap, int timeout_ms) {
  char errbuf[PCAP_ERRBUF_SIZE];
  if (pcap_setnonblock(cap->pcap, 1, errbuf) != 0) return;
  int64_t deadline = now_ms() + timeout_ms + TD_DRAIN_SLACK_MS;
  while (now_ms() < deadline) {
    int n = pcap_dispatch(cap->pcap, -1, on_packet, (u_char *)cap);
    if (n == PCAP_ERROR) {
      record_dispatch_error(cap);
      return;
    }
    if (n <= 0) {
      struct timespec pause = {0, TD_DRAIN_PAUSE_NS};
      nanosleep(&pause, NULL);
    }
  }
}

/* A batch is handed over when full (in on_packet) or once its first packet is
 * timeout_ms old, so a busy capture makes few, full batches. With TPACKET_V3
 * libpcap's own poll() has no timeout (the kernel's block timeout wakes it
 * only when packets arrive), so while a partial batch waits, the thread polls
 * the socket itself until the batch is due. */
static void flush_when_due(struct td_capture *cap) {
  while (cap->filling >= 0 && !atomic_load(&cap->stop)) {
    int64_t wait = cap->filling_since_ms + cap->timeout_ms - now_ms();
    if (wait <= 0) {
      flush_filling(cap);
      return;
    }
    struct pollfd pfd = {pcap_get_selectable_fd(cap->pcap), POLLIN, 0};
    int rc = poll(&pfd, 1, (int)wait);
    if (rc != 0) return; /* packets (or an error) for pcap_dispatch */
  }
}

static void *capture_main(void *arg) {
  struct td_capture *cap = (struct td_capture *)arg;
  int failed = 0;
  pthread_setname_np(pthread_self(), "td-capture"); /* shows in top -H, /proc/<pid>/task */
  while (!atomic_load(&cap->stop)) {
    int n = pcap_dispatch(cap->pcap, -1, on_packet, (u_char *)cap);
    if (n == PCAP_ERROR) {
      record_dispatch_error(cap);
      failed = 1;
      break;
    }
    poll_stats(cap);
    flush_when_due(cap);
  }
  if (!failed) drain(cap, cap->timeout_ms);
  flush_filling(cap);
  poll_stats(cap);
  cap->deliver(cap, -1);
  return NULL;
}

int td_start(struct td_capture *cap, char *err, size_t err_len) {
  int rc = pthread_create(&cap->thread, NULL, capture_main, cap);
  if (rc != 0) {
    set_error(err, err_len, "pthread_create", strerror(rc));
    return -1;
  }
  cap->thread_started = 1;
  return 0;
}

void td_stop(struct td_capture *cap) {
  atomic_store(&cap->stop, 1);
  if (cap->pcap != NULL) pcap_breakloop(cap->pcap);
  pthread_mutex_lock(&cap->lock);
  pthread_cond_broadcast(&cap->slot_freed);
  pthread_mutex_unlock(&cap->lock);
}

void td_join_and_close(struct td_capture *cap) {
  if (cap->thread_started) {
    td_stop(cap);
    pthread_join(cap->thread, NULL);
    cap->thread_started = 0;
  }
  if (cap->pcap != NULL) {
    pcap_close(cap->pcap);
    cap->pcap = NULL;
  }
}

void td_release_slot(struct td_capture *cap, int slot) {
  if (slot < 0 || slot >= cap->slot_count) return;
  pthread_mutex_lock(&cap->lock);
  if (cap->slots[slot].state == TD_SLOT_IN_JS || cap->slots[slot].state == TD_SLOT_QUEUED) {
    cap->slots[slot].state = TD_SLOT_FREE;
    pthread_cond_signal(&cap->slot_freed);
  }
  pthread_mutex_unlock(&cap->lock);
}

void td_snapshot(struct td_capture *cap, struct td_stats *out, char *err, size_t err_len) {
  pthread_mutex_lock(&cap->lock);
  *out = cap->stats;
  if (err != NULL) snprintf(err, err_len, "%s", cap->error);
  pthread_mutex_unlock(&cap->lock);
}

int td_compile_filter(const char *expr, int link_type, int snaplen, char *err, size_t err_len) {
  pcap_t *p = pcap_open_dead(link_type, snaplen);
  if (p == NULL) {
    set_error(err, err_len, "pcap_open_dead", "cannot create a dead handle for this link type");
    return -1;
  }
  struct bpf_program prog;
  int result = -1;
  if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    snprintf(err, err_len, "%s", pcap_geterr(p));
  } else {
    result = (int)prog.bf_len;
    pcap_freecode(&prog);
  }
  pcap_close(p);
  return result;
}
