/*
 * N-API glue for the capture engine (plain node_api.h, no C++).
 *
 * open(options, onBatch, onClosed) -> { handle, linkType, snaplen, buffers }
 *   onBatch(slot, length, packets) runs on the JS thread for every filled slot;
 *   JS calls release(handle, slot) when done with buffers[slot].
 *   onClosed(stats, error) runs once, after the last batch, when the capture ended.
 * close(handle), stats(handle), release(handle, slot),
 * compileFilter(expr, linkType, snaplen) -> BPF instruction count,
 * listInterfaces(), libVersion().
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "napi-util.h"

struct td_addon {
  struct td_capture cap;
  napi_threadsafe_function tsfn;
  napi_ref on_closed;
  int refs; /* external handle + threadsafe function + each slot buffer */
  int ended; /* the end marker was processed on the JS thread */
};

static void unref_addon(struct td_addon *a) {
  if (--a->refs > 0) return;
  for (int i = 0; i < a->cap.slot_count; i++) free(a->cap.slots[i].data);
  pthread_mutex_destroy(&a->cap.lock);
  pthread_cond_destroy(&a->cap.slot_freed);
  free(a);
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  unref_addon((struct td_addon *)data);
}

static void finalize_buffer(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  unref_addon((struct td_addon *)hint);
}

/* Runs when the threadsafe function is released or the environment tears down. */
static void finalize_tsfn(napi_env env, void *data, void *hint) {
  (void)hint;
  struct td_addon *a = (struct td_addon *)data;
  td_join_and_close(&a->cap);
  if (a->on_closed != NULL) {
    napi_delete_reference(env, a->on_closed);
    a->on_closed = NULL;
  }
  unref_addon(a);
}

static void deliver(struct td_capture *cap, int slot) {
  struct td_addon *a = (struct td_addon *)cap->deliver_ctx;
  /* Encoded so that slot 0 and the end marker (-1) are both non-NULL. */
  napi_call_threadsafe_function(a->tsfn, (void *)(intptr_t)(slot + 2), napi_tsfn_blocking);
}

static napi_value stats_object(napi_env env, struct td_capture *cap) {
  struct td_stats s;
  char err[TD_ERR_LEN];
  td_snapshot(cap, &s, err, sizeof err);
  napi_value o;
  napi_create_object(env, &o);
  td_set_number(env, o, "received", (double)s.received);
  td_set_number(env, o, "kernelDropped", (double)s.kernel_dropped);
  td_set_number(env, o, "interfaceDropped", (double)s.interface_dropped);
  td_set_number(env, o, "agentDropped", (double)s.agent_dropped);
  td_set_number(env, o, "agentDroppedBytes", (double)s.agent_dropped_bytes);
  td_set_number(env, o, "delivered", (double)s.delivered);
  td_set_number(env, o, "poolWaits", (double)s.pool_waits);
  td_set_string(env, o, "error", err);
  return o;
}

static void rethrow_fatal(napi_env env) {
  napi_value error;
  if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
}

static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  struct td_addon *a = (struct td_addon *)context;
  if (env == NULL || a->ended) return;
  int slot = (int)((intptr_t)data - 2);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (slot >= 0) {
    pthread_mutex_lock(&a->cap.lock);
    struct td_slot *s = &a->cap.slots[slot];
    if (s->state == TD_SLOT_QUEUED) s->state = TD_SLOT_IN_JS;
    double length = (double)s->length, packets = (double)s->packets, last = (double)s->last_offset;
    pthread_mutex_unlock(&a->cap.lock);
    napi_value argv[4];
    napi_create_int32(env, slot, &argv[0]);
    napi_create_double(env, length, &argv[1]);
    napi_create_double(env, packets, &argv[2]);
    napi_create_double(env, last, &argv[3]);
    /* The JavaScript side catches its listener's exceptions (and fails the
     * session); anything that still escapes goes to 'uncaughtException'
     * instead of being swallowed with a DEP0168 warning. */
    if (napi_call_function(env, undefined, js_cb, 4, argv, NULL) == napi_pending_exception) rethrow_fatal(env);
    return;
  }
  /* End marker: the thread has returned from its loop, every batch is delivered. */
  a->ended = 1;
  td_join_and_close(&a->cap);
  napi_value argv[1] = {stats_object(env, &a->cap)};
  napi_value on_closed;
  int has_cb = a->on_closed != NULL && napi_get_reference_value(env, a->on_closed, &on_closed) == napi_ok;
  napi_release_threadsafe_function(a->tsfn, napi_tsfn_release);
  if (has_cb && napi_call_function(env, undefined, on_closed, 1, argv, NULL) == napi_pending_exception)
    rethrow_fatal(env);
}

static struct td_addon *get_addon(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a capture handle");
    return NULL;
  }
  return (struct td_addon *)data;
}

static int alloc_slots(struct td_addon *a, size_t bytes, int count) {
  a->cap.slot_bytes = bytes;
  for (int i = 0; i < count; i++) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0) return -1;
    a->cap.slots[i].data = (uint8_t *)p;
    a->cap.slot_count = i + 1;
  }
  return 0;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) return td_throw(env, "ERR_INVALID_ARG_TYPE", "open(options, onBatch, onClosed)");
  /* Filters of hundreds of endpoint addresses are long: not on the stack (JS thread only). */
  static _Thread_local char filter[TD_MAX_FILTER + 1];
  char device[256];
  struct td_capture_options o = {device, filter, 0, 0, 0, 0, 0};
  int64_t batch_bytes = 0;
  if (td_get_string(env, argv[0], "device", device, sizeof device) != 0 ||
      td_get_string(env, argv[0], "filter", filter, sizeof filter) != 0 ||
      td_get_int(env, argv[0], "snaplen", &o.snaplen) != 0 ||
      td_get_int(env, argv[0], "bufferBytes", &o.buffer_bytes) != 0 ||
      td_get_int(env, argv[0], "timeoutMs", &o.timeout_ms) != 0 ||
      td_get_int(env, argv[0], "batchCount", &o.batch_count) != 0 ||
      td_get_int64(env, argv[0], "batchBytes", &batch_bytes) != 0)
    return td_throw(env, "ERR_INVALID_ARG_VALUE", "invalid capture options");
  if (o.batch_count < 1 || o.batch_count > TD_MAX_SLOTS || batch_bytes < 4096 || batch_bytes > (1 << 30))
    return td_throw(env, "ERR_INVALID_ARG_VALUE", "batchCount or batchBytes out of range");
  struct td_addon *a = calloc(1, sizeof *a);
  if (a == NULL) return td_throw(env, "ERR_CAPTURE_OPEN", "out of memory");
  char err[TD_ERR_LEN];
  int rc = td_open(&a->cap, &o, err, sizeof err);
  if (rc != 0) {
    free(a);
    return td_throw(env, rc == TD_OPEN_BAD_FILTER ? "ERR_CAPTURE_FILTER" : "ERR_CAPTURE_OPEN", err);
  }
  /* From here on the lock exists: cleanup goes through unref_addon. */
  a->refs = 1;
  if (alloc_slots(a, (size_t)batch_bytes, o.batch_count) != 0) {
    td_join_and_close(&a->cap);
    unref_addon(a);
    return td_throw(env, "ERR_CAPTURE_OPEN", "cannot allocate batch buffers");
  }
  a->cap.deliver = deliver;
  a->cap.deliver_ctx = a;
  napi_value handle, buffers, name, result;
  napi_create_external(env, a, finalize_handle, NULL, &handle);
  napi_create_array_with_length(env, (size_t)a->cap.slot_count, &buffers);
  for (int i = 0; i < a->cap.slot_count; i++) {
    napi_value buf;
    a->refs++;
    napi_create_external_buffer(env, a->cap.slot_bytes, a->cap.slots[i].data, finalize_buffer, a, &buf);
    napi_set_element(env, buffers, (uint32_t)i, buf);
  }
  napi_create_reference(env, argv[2], 1, &a->on_closed);
  napi_create_string_utf8(env, "tapedeck-capture", NAPI_AUTO_LENGTH, &name);
  a->refs++;
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, a, finalize_tsfn, a, call_js, &a->tsfn) !=
      napi_ok) {
    a->refs--;
    td_join_and_close(&a->cap);
    return td_throw(env, "ERR_CAPTURE_OPEN", "cannot create the delivery function");
  }
  if (td_start(&a->cap, err, sizeof err) != 0) {
    a->ended = 1;
    napi_release_threadsafe_function(a->tsfn, napi_tsfn_abort);
    return td_throw(env, "ERR_CAPTURE_OPEN", err);
  }
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "handle", handle);
  napi_set_named_property(env, result, "buffers", buffers);
  td_set_number(env, result, "linkType", a->cap.link_type);
  td_set_number(env, result, "snaplen", a->cap.snaplen);
  return result;
}

static napi_value js_release(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct td_addon *a = argc >= 2 ? get_addon(env, argv[0]) : NULL;
  int32_t slot = -1;
  if (a != NULL && napi_get_value_int32(env, argv[1], &slot) == napi_ok) td_release_slot(&a->cap, slot);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct td_addon *a = argc >= 1 ? get_addon(env, argv[0]) : NULL;
  if (a != NULL && !a->ended) td_stop(&a->cap);
  return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct td_addon *a = argc >= 1 ? get_addon(env, argv[0]) : NULL;
  return a != NULL ? stats_object(env, &a->cap) : NULL;
}

static napi_value js_compile_filter(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  static _Thread_local char expr[TD_MAX_FILTER + 1];
  int32_t link_type = 0, snaplen = 0;
  size_t len = 0;
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], expr, sizeof expr, &len) != napi_ok ||
      napi_get_value_int32(env, argv[1], &link_type) != napi_ok || napi_get_value_int32(env, argv[2], &snaplen) != napi_ok)
    return td_throw(env, "ERR_INVALID_ARG_TYPE", "compileFilter(expr, linkType, snaplen)");
  if (len >= TD_MAX_FILTER) return td_throw(env, "ERR_CAPTURE_FILTER", "expression too long");
  char err[TD_ERR_LEN];
  int n = td_compile_filter(expr, link_type, snaplen, err, sizeof err);
  if (n < 0) return td_throw(env, "ERR_CAPTURE_FILTER", err);
  napi_value result;
  napi_create_int32(env, n, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_init(PCAP_CHAR_ENC_UTF_8, errbuf);
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"release", NULL, js_release, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"compileFilter", NULL, js_compile_filter, NULL, NULL, NULL, napi_default, NULL},
      {"listInterfaces", NULL, td_list_interfaces, NULL, NULL, NULL, napi_default, NULL},
      {"libVersion", NULL, td_lib_version, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
