/* Small N-API helpers and the functions that need no capture handle. */
#define NAPI_VERSION 8
#include "napi-util.h"

#include <pcap/pcap.h>
#include <string.h>

napi_value td_throw(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}

void td_set_number(napi_env env, napi_value obj, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

void td_set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

void td_set_bool(napi_env env, napi_value obj, const char *key, int value) {
  napi_value v;
  napi_get_boolean(env, value != 0, &v);
  napi_set_named_property(env, obj, key, v);
}

/* Reads a string property; fails when missing, not a string or too long. */
int td_get_string(napi_env env, napi_value obj, const char *key, char *out, size_t out_len) {
  napi_value v;
  size_t len = 0;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return -1;
  if (napi_get_value_string_utf8(env, v, out, out_len, &len) != napi_ok) return -1;
  return len + 1 >= out_len ? -1 : 0;
}

int td_get_int(napi_env env, napi_value obj, const char *key, int *out) {
  napi_value v;
  int32_t n = 0;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return -1;
  if (napi_get_value_int32(env, v, &n) != napi_ok) return -1;
  *out = n;
  return 0;
}

int td_get_int64(napi_env env, napi_value obj, const char *key, int64_t *out) {
  napi_value v;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return -1;
  return napi_get_value_int64(env, v, out) == napi_ok ? 0 : -1;
}

napi_value td_list_interfaces(napi_env env, napi_callback_info info) {
  (void)info;
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_if_t *all = NULL;
  if (pcap_findalldevs(&all, errbuf) != 0) return td_throw(env, "ERR_CAPTURE_INTERFACES", errbuf);
  napi_value list;
  napi_create_array(env, &list);
  uint32_t i = 0;
  for (pcap_if_t *d = all; d != NULL; d = d->next) {
    napi_value o;
    napi_create_object(env, &o);
    td_set_string(env, o, "name", d->name);
    td_set_string(env, o, "description", d->description != NULL ? d->description : "");
    td_set_bool(env, o, "loopback", d->flags & PCAP_IF_LOOPBACK);
    td_set_bool(env, o, "up", d->flags & PCAP_IF_UP);
    td_set_bool(env, o, "running", d->flags & PCAP_IF_RUNNING);
    napi_set_element(env, list, i++, o);
  }
  pcap_freealldevs(all);
  return list;
}

napi_value td_lib_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &v);
  return v;
}
