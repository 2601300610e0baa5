/* Small N-API helpers and the functions that need no capture handle. */
#ifndef TAPEDECK_NAPI_UTIL_H
#define TAPEDECK_NAPI_UTIL_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* Longest filter expression accepted (the TypeScript layer enforces the same bound). */
#define TD_MAX_FILTER 65536

napi_value td_throw(napi_env env, const char *code, const char *message);
void td_set_number(napi_env env, napi_value obj, const char *key, double value);
void td_set_string(napi_env env, napi_value obj, const char *key, const char *value);
void td_set_bool(napi_env env, napi_value obj, const char *key, int value);
int td_get_string(napi_env env, napi_value obj, const char *key, char *out, size_t out_len);
int td_get_int(napi_env env, napi_value obj, const char *key, int *out);
int td_get_int64(napi_env env, napi_value obj, const char *key, int64_t *out);

napi_value td_list_interfaces(napi_env env, napi_callback_info info);
napi_value td_lib_version(napi_env env, napi_callback_info info);

#endif
