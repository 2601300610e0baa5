// Validates the retention, storage-full policy, export destination and export credentials of a
// StartSessionRequest (and RefreshCredentialsRequest). Credentials are returned apart from the
// spec: the spec is stored and shown, credentials are neither.
import type { ExportCredentials__Output } from '../../proto/generated/tapedeck/agent/v1/ExportCredentials.js';
import type { ExportDestination__Output } from '../../proto/generated/tapedeck/agent/v1/ExportDestination.js';
import type { Retention__Output } from '../../proto/generated/tapedeck/agent/v1/Retention.js';
import type { ExportDestination, Retention, StorageFullPolicy } from '../session/session-spec.js';
import type { ExportCredentials } from '../export/export-credentials.js';
import { REQUEST_LIMITS } from './limits.js';
import { invalid } from './request-error.js';
import { durationMs } from './validate-fields.js';

/** S3: 3-63 lowercase letters, digits, dots, hyphens; GCS also underscores and up to 222 with dots. */
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const GCS_BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
/** The CRD's prefix rule: safe key characters, no leading/trailing '/', no '//' or '..' segment. */
const PREFIX = /^[A-Za-z0-9!_.*'()/-]{0,512}$/;
const REGION = /^[a-z0-9-]{0,32}$/;
/** Printable ASCII without spaces: what access keys and tokens are made of. */
const TOKEN = /^[\x21-\x7e]+$/;
const MAX_SECRET_LENGTH = 8192;

export function retention(message: Retention__Output | null | undefined): Retention {
  const max = REQUEST_LIMITS.maxRetentionMs;
  return {
    pcapTtlMs: durationMs('spec.retention.pcapTtl', message?.pcapTtl, 1000, max),
    jsonTtlMs: durationMs('spec.retention.jsonTtl', message?.jsonTtl, 1000, max),
    expireAfterMs: durationMs('spec.retention.expireAfter', message?.expireAfter, 1000, max),
  };
}

export function storageFullPolicy(value: unknown): StorageFullPolicy {
  if (value === undefined || value === null || value === 'STORAGE_FULL_POLICY_CONTINUE' || value === 0) {
    return 'Continue';
  }
  if (value === 'STORAGE_FULL_POLICY_STOP' || value === 1) return 'Stop';
  throw invalid('spec.onStorageFull', `unknown policy ${JSON.stringify(value)}`);
}

function prefix(field: string, value: string): string {
  if (!PREFIX.test(value) || value.startsWith('/') || value.endsWith('/') || value.includes('//')) {
    throw invalid(
      field,
      `${JSON.stringify(value.slice(0, 64))} is not a key prefix (no leading, trailing or double '/')`,
    );
  }
  if (value.split('/').includes('..') || value.split('/').includes('.')) {
    throw invalid(field, `must not contain a '.' or '..' segment`);
  }
  return value;
}

function endpoint(field: string, value: string): string {
  if (value === '') return '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(field, `${JSON.stringify(value.slice(0, 64))} is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw invalid(field, 'must be an absolute http or https URL');
  }
  if (url.username !== '' || url.password !== '') throw invalid(field, 'must not carry credentials');
  return value;
}

/** The destination, or undefined when unset; `withCredentials` says whether the request brought any. */
export function exportDestination(
  message: ExportDestination__Output | null | undefined,
  withCredentials: boolean,
): ExportDestination | undefined {
  if (!message || message.destination === undefined) return undefined;
  const credentials = withCredentials ? 'request' : 'ambient';
  if (message.destination === 's3' && message.s3) {
    const s3 = message.s3;
    if (!S3_BUCKET.test(s3.bucket) || s3.bucket.includes('..')) {
      throw invalid('spec.export.s3.bucket', `${JSON.stringify(s3.bucket.slice(0, 64))} is not an S3 bucket name`);
    }
    if (!REGION.test(s3.region)) throw invalid('spec.export.s3.region', 'is not a region name');
    return {
      kind: 's3',
      bucket: s3.bucket,
      prefix: prefix('spec.export.s3.prefix', s3.prefix),
      region: s3.region,
      endpoint: endpoint('spec.export.s3.endpoint', s3.endpoint),
      forcePathStyle: s3.forcePathStyle,
      credentials,
    };
  }
  if (message.destination === 'gcs' && message.gcs) {
    const gcs = message.gcs;
    if (!GCS_BUCKET.test(gcs.bucket) || gcs.bucket.includes('..')) {
      throw invalid('spec.export.gcs.bucket', `${JSON.stringify(gcs.bucket.slice(0, 64))} is not a GCS bucket name`);
    }
    return {
      kind: 'gcs',
      bucket: gcs.bucket,
      prefix: prefix('spec.export.gcs.prefix', gcs.prefix),
      endpoint: endpoint('spec.export.gcs.endpoint', gcs.endpoint),
      credentials,
    };
  }
  throw invalid('spec.export', 'names no destination');
}

function secret(field: string, value: string, required: boolean): string {
  if (value === '' && !required) return '';
  // The value itself never appears in an error.
  if (value.length > MAX_SECRET_LENGTH || !TOKEN.test(value)) throw invalid(field, 'is empty or malformed');
  return value;
}

/**
 * Credentials for `destination` (field names the request's field, e.g. "exportCredentials"); undefined
 * when the request has none. They must match the destination's kind.
 */
export function exportCredentials(
  field: string,
  message: ExportCredentials__Output | null | undefined,
  destination: ExportDestination | undefined,
): ExportCredentials | undefined {
  if (!message || message.credentials === undefined) return undefined;
  if (!destination) throw invalid(field, 'credentials without spec.export');
  const expiryMs = message.expiry
    ? Number(message.expiry.seconds ?? 0) * 1000 + Math.floor(Number(message.expiry.nanos ?? 0) / 1e6)
    : undefined;
  if (expiryMs !== undefined && (!Number.isSafeInteger(expiryMs) || expiryMs <= 0)) {
    throw invalid(`${field}.expiry`, 'is not a usable instant');
  }
  if (message.credentials === 's3' && message.s3) {
    if (destination.kind !== 's3') throw invalid(field, 'S3 credentials for a GCS destination');
    return {
      kind: 's3',
      accessKeyId: secret(`${field}.s3.accessKeyId`, message.s3.accessKeyId, true),
      secretAccessKey: secret(`${field}.s3.secretAccessKey`, message.s3.secretAccessKey, true),
      sessionToken: secret(`${field}.s3.sessionToken`, message.s3.sessionToken, false),
      ...(expiryMs !== undefined && { expiryMs }),
    };
  }
  if (message.credentials === 'gcs' && message.gcs) {
    if (destination.kind !== 'gcs') throw invalid(field, 'GCS credentials for an S3 destination');
    return {
      kind: 'gcs',
      accessToken: secret(`${field}.gcs.accessToken`, message.gcs.accessToken, true),
      ...(expiryMs !== undefined && { expiryMs }),
    };
  }
  throw invalid(field, 'names no credentials');
}
