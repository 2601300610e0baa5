// Field validators shared by the Hubble and the tapedeck request mappers.
// Every failure is a RequestError naming the field.
import { parseCidr } from '../capture/cidr.js';
import type { Protocol } from '../session/session-spec.js';
import { invalid } from './request-error.js';
import { FILE_PREFIX_PATTERN, REQUEST_LIMITS } from './limits.js';

export interface DurationLike {
  readonly seconds?: number | string | null;
  readonly nanos?: number | null;
}

export function count(field: string, value: unknown): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n) || n < 0 || n > REQUEST_LIMITS.maxCount) {
    throw invalid(field, `${String(value)} is out of range (0-${REQUEST_LIMITS.maxCount})`);
  }
  return n;
}

export function bounded(field: string, value: unknown, max: number): number {
  const n = count(field, value);
  if (n > max) throw invalid(field, `${n} exceeds the maximum of ${max}`);
  return n;
}

export function port(field: string, value: unknown): number {
  const n = Number(value ?? 0);
  if (!Number.isInteger(n) || n < 0 || n > REQUEST_LIMITS.maxPort) {
    throw invalid(field, `${String(value)} is not a port (0-${REQUEST_LIMITS.maxPort}, 0 = any)`);
  }
  return n;
}

/** Returns the CIDR unchanged when valid; "" only when `allowEmpty`. */
export function cidr(field: string, value: string | null | undefined, allowEmpty: boolean): string {
  const text = value ?? '';
  if (text === '') {
    if (allowEmpty) return '';
    throw invalid(field, 'must not be empty (use 0.0.0.0/0 or ::/0 for any address)');
  }
  if (text.length > REQUEST_LIMITS.maxCidrLength || parseCidr(text) === undefined) {
    throw invalid(field, `${JSON.stringify(text.slice(0, REQUEST_LIMITS.maxCidrLength))} is not an IPv4 or IPv6 CIDR`);
  }
  return text;
}

/** Maps a proto enum value (name or number) through `table`. */
export function protocol(field: string, value: unknown, table: Readonly<Record<string, Protocol>>): Protocol {
  const key = String(value ?? 'PROTOCOL_ANY');
  const mapped = table[key];
  if (mapped === undefined) {
    throw invalid(field, `unknown protocol ${JSON.stringify(key)} (one of ${Object.keys(table).join(', ')})`);
  }
  return mapped;
}

export function durationMs(field: string, value: DurationLike | null | undefined, min: number, max: number): number {
  if (!value) return 0;
  const seconds = Number(value.seconds ?? 0);
  const nanos = Number(value.nanos ?? 0);
  if (!Number.isSafeInteger(seconds) || !Number.isInteger(nanos) || seconds < 0 || nanos < 0 || nanos > 999_999_999) {
    throw invalid(field, 'must be a non-negative duration');
  }
  const ms = seconds * 1000 + Math.ceil(nanos / 1e6);
  if (ms === 0) return 0;
  if (ms < min || ms > max) throw invalid(field, `must be 0 (no limit) or between ${min} ms and ${max} ms`);
  return ms;
}

export function filePrefix(field: string, value: string | null | undefined, fallback: string): string {
  const text = value ?? '';
  if (text === '') return fallback;
  if (!FILE_PREFIX_PATTERN.test(text)) {
    throw invalid(field, `${JSON.stringify(text.slice(0, 64))} must match ${FILE_PREFIX_PATTERN.source}`);
  }
  return text;
}

/**
 * The user's pcap-filter expression is only ever compiled by libpcap, never
 * run by a shell; these checks just keep it bounded and option-free.
 */
export function bpf(field: string, value: string | null | undefined): string {
  const text = (value ?? '').trim();
  if (text.length > REQUEST_LIMITS.maxBpfLength) {
    throw invalid(field, `is longer than ${REQUEST_LIMITS.maxBpfLength} characters`);
  }
  if (text.startsWith('-')) throw invalid(field, 'must not start with "-"');
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\0-\x08\x0b-\x1f\x7f]/.test(text)) throw invalid(field, 'contains control characters');
  return text;
}
