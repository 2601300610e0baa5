/*
 * tapedeck native capture engine: one libpcap handle, one capture thread and a
 * small pool of pre-allocated batch buffers per capture. See README.md.
 */
#ifndef TAPEDECK_CAPTURE_H
#define TAPEDECK_CAPTURE_H

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define TD_RECORD_HEADER_BYTES 16
#define TD_MAX_SLOTS 64
#define TD_ERR_LEN (PCAP_ERRBUF_SIZE + 128)

/* Slot states. A slot moves FREE -> FILLING (capture thread) -> QUEUED (handed
 * to the threadsafe function) -> IN_JS (listener holds it) -> FREE (release). */
enum td_slot_state { TD_SLOT_FREE = 0, TD_SLOT_FILLING, TD_SLOT_QUEUED, TD_SLOT_IN_JS };

struct td_slot {
  uint8_t *data; /* memory of a JS Buffer kept alive by a strong reference */
  size_t length;
  uint32_t packets;
  /* Where the last record begins: writers need its time and should not walk the batch to find it. */
  size_t last_offset;
  enum td_slot_state state;
};

/* 64-bit counters; pcap_stats' 32-bit values are accumulated as deltas. */
struct td_stats {
  uint64_t received; /* ps_recv (includes kernel drops on Linux) */
  uint64_t kernel_dropped;
  uint64_t interface_dropped;
  uint64_t agent_dropped;
  uint64_t agent_dropped_bytes;
  uint64_t delivered; /* records written into batches */
  uint64_t pool_waits; /* times the thread waited for JavaScript to release a batch */
};

struct td_capture_options {
  const char *device;
  const char *filter;
  int snaplen;
  int buffer_bytes;
  int timeout_ms;
  size_t batch_bytes;
  int batch_count;
};

struct td_capture {
  pcap_t *pcap;
  int link_type;
  int snaplen;
  int timeout_ms;
  pthread_t thread;
  int thread_started;
  atomic_int stop;

  pthread_mutex_t lock; /* guards slot states, stats and error */
  pthread_cond_t slot_freed; /* signalled (under lock) when a slot is released or stop is requested */
  int64_t stop_wait_until_ms; /* after a stop: how long the thread still waits for a free slot */
  struct td_slot slots[TD_MAX_SLOTS];
  int slot_count;
  size_t slot_bytes;
  int filling; /* index of the slot being filled by the thread, -1 if none */
  int64_t filling_since_ms; /* CLOCK_MONOTONIC when the filling slot got its first packet */

  struct td_stats stats;
  unsigned int last_recv, last_drop, last_ifdrop;
  char error[TD_ERR_LEN];

  /* Called by the capture thread, with the capture's lock NOT held, to hand a
   * filled slot (index >= 0) or the end-of-capture marker (-1) to JavaScript. */
  void (*deliver)(struct td_capture *cap, int slot);
  void *deliver_ctx;
};

/* Opens and activates the pcap handle and installs the filter. Slot buffers
 * must be assigned (slots[i].data, slot_count, slot_bytes) before td_start.
 * Returns 0, or TD_OPEN_FAILED / TD_OPEN_BAD_FILTER with a message in err. */
#define TD_OPEN_FAILED (-1)
#define TD_OPEN_BAD_FILTER (-2)
int td_open(struct td_capture *cap, const struct td_capture_options *opts, char *err, size_t err_len);
int td_start(struct td_capture *cap, char *err, size_t err_len);
/* Asks the thread to stop; safe to call repeatedly from the JS thread. */
void td_stop(struct td_capture *cap);
/* Joins the thread (after td_stop or after it delivered the end marker) and closes pcap. */
void td_join_and_close(struct td_capture *cap);
void td_release_slot(struct td_capture *cap, int slot);
void td_snapshot(struct td_capture *cap, struct td_stats *out, char *err, size_t err_len);

/* Compiles expr for a link type without capturing. Returns the number of BPF
 * instructions, or -1 with pcap's message in err. */
int td_compile_filter(const char *expr, int link_type, int snaplen, char *err, size_t err_len);

#endif
