// When retention deletes local data (the Recording's spec.retention, agent/session/session-spec.ts):
// pcapTTL for packet files and jsonTTL for every record format count from the file's close;
// expireAfter counts from the session's end. 0 = never.
import { isRecordFormat, NO_RETENTION, type OutputFormat, type SessionSpec } from '../session/session-spec.js';

/** When a file of `format` that closed at `closeMs` is deleted; undefined = kept until expiry. */
export function fileDeadline(spec: SessionSpec, format: string, closeMs: number): number | undefined {
  const retention = spec.retention ?? NO_RETENTION;
  const ttl = isRecordFormat(format as OutputFormat) ? retention.jsonTtlMs : retention.pcapTtlMs;
  return ttl > 0 ? closeMs + ttl : undefined;
}

/** When all local data of a session that ended at `stopMs` is deleted; undefined = never. */
export function sessionDeadline(spec: SessionSpec, stopMs: number): number | undefined {
  const after = (spec.retention ?? NO_RETENTION).expireAfterMs;
  return after > 0 ? stopMs + after : undefined;
}
