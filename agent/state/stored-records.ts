// What the state store keeps per session and per file, and the mapping to and
// from table rows.
import type { SessionSpec } from '../session/session-spec.js';
import type { StopReason } from '../session/stop-condition.js';

export const StoredState = {
  Running: 'Running',
  /** The agent shut down (SIGTERM) while the session ran: it resumes when the agent starts again. */
  Paused: 'Paused',
  Stopped: 'Stopped',
  Failed: 'Failed',
} as const;
export type StoredState = (typeof StoredState)[keyof typeof StoredState];

/** A time the session was not capturing, in ms since the epoch. */
export interface Gap {
  readonly fromMs: number;
  readonly toMs: number;
  readonly reason: string;
}

export interface StoredSession {
  readonly id: string;
  readonly spec: SessionSpec;
  readonly state: StoredState;
  readonly stopReason?: StopReason;
  readonly message: string;
  readonly firstStartMs: number;
  readonly stopMs?: number;
  /** 1 for the first segment; each resume adds one. */
  readonly segment: number;
  readonly segmentStartMs: number;
  readonly aliveMs: number;
  readonly priorLostPackets: number;
  readonly priorLostBytes: number;
  readonly segmentLostPackets: number;
  readonly segmentLostBytes: number;
  readonly gaps: readonly Gap[];
  /** retention.expireAfter: when all local data of the run is deleted, and when it was. */
  readonly expireAtMs?: number;
  readonly expiredMs?: number;
  /** Packets and captured bytes not written because the storage budget was full, all segments (absent = 0). */
  readonly storageLostPackets?: number;
  readonly storageLostBytes?: number;
}

/** Why the agent deleted a local file. */
export const DeletedReason = {
  /** retention.pcapTTL / jsonTTL passed. */
  Ttl: 'TTL',
  /** retention.expireAfter of the run passed. */
  Expired: 'Expired',
  /** The storage budget was full and the file was already exported (or past its TTL). */
  Evicted: 'Evicted',
  /** The Recording was deleted with retention.onDelete.local Delete. */
  Deleted: 'Deleted',
} as const;
export type DeletedReason = (typeof DeletedReason)[keyof typeof DeletedReason];

export interface StoredFile {
  readonly path: string;
  readonly sessionId: string;
  readonly segment: number;
  readonly format: string;
  readonly interfaces: readonly string[];
  readonly linkType: number;
  readonly bytes: number;
  readonly packets: number;
  /** Packet data bytes (record headers excluded), for byte stop conditions across segments. */
  readonly capturedBytes: number;
  /** "" until closed. */
  readonly sha256: string;
  readonly closed: boolean;
  readonly openMs: number;
  readonly firstPacketMs?: number;
  readonly lastPacketMs?: number;
  readonly closeMs?: number;
  readonly deleteAfterMs?: number;
  readonly uploadedKey?: string;
  readonly uploadedMs?: number;
  readonly deletedMs?: number;
  readonly deletedReason?: DeletedReason;
}

type Row = Record<string, unknown>;
type Param = string | number | null;

function optionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

export function sessionParams(s: StoredSession): Record<string, Param> {
  return {
    id: s.id,
    spec: JSON.stringify(s.spec),
    state: s.state,
    stop_reason: s.stopReason ?? null,
    message: s.message,
    first_start_ms: s.firstStartMs,
    stop_ms: s.stopMs ?? null,
    segment: s.segment,
    segment_start_ms: s.segmentStartMs,
    alive_ms: s.aliveMs,
    prior_lost_packets: s.priorLostPackets,
    prior_lost_bytes: s.priorLostBytes,
    segment_lost_packets: s.segmentLostPackets,
    segment_lost_bytes: s.segmentLostBytes,
    gaps: JSON.stringify(s.gaps),
    expire_at_ms: s.expireAtMs ?? null,
    expired_ms: s.expiredMs ?? null,
    storage_lost_packets: s.storageLostPackets ?? 0,
    storage_lost_bytes: s.storageLostBytes ?? 0,
  };
}

export function sessionFromRow(row: Row): StoredSession {
  const stopReason = row['stop_reason'];
  const stopMs = optionalNumber(row['stop_ms']);
  const expireAtMs = optionalNumber(row['expire_at_ms']);
  const expiredMs = optionalNumber(row['expired_ms']);
  const storageLostPackets = Number(row['storage_lost_packets'] ?? 0);
  const storageLostBytes = Number(row['storage_lost_bytes'] ?? 0);
  return {
    id: String(row['id']),
    spec: JSON.parse(String(row['spec'])) as SessionSpec,
    state: String(row['state']) as StoredState,
    ...(typeof stopReason === 'string' && { stopReason: stopReason as StopReason }),
    message: String(row['message']),
    firstStartMs: Number(row['first_start_ms']),
    ...(stopMs !== undefined && { stopMs }),
    segment: Number(row['segment']),
    segmentStartMs: Number(row['segment_start_ms']),
    aliveMs: Number(row['alive_ms']),
    priorLostPackets: Number(row['prior_lost_packets']),
    priorLostBytes: Number(row['prior_lost_bytes']),
    segmentLostPackets: Number(row['segment_lost_packets']),
    segmentLostBytes: Number(row['segment_lost_bytes']),
    gaps: JSON.parse(String(row['gaps'])) as Gap[],
    ...(expireAtMs !== undefined && { expireAtMs }),
    ...(expiredMs !== undefined && { expiredMs }),
    ...(storageLostPackets > 0 && { storageLostPackets }),
    ...(storageLostBytes > 0 && { storageLostBytes }),
  };
}

export function fileParams(f: StoredFile): Record<string, Param> {
  return {
    path: f.path,
    session_id: f.sessionId,
    segment: f.segment,
    format: f.format,
    interfaces: JSON.stringify(f.interfaces),
    link_type: f.linkType,
    bytes: f.bytes,
    packets: f.packets,
    captured_bytes: f.capturedBytes,
    sha256: f.sha256,
    closed: f.closed ? 1 : 0,
    open_ms: f.openMs,
    first_packet_ms: f.firstPacketMs ?? null,
    last_packet_ms: f.lastPacketMs ?? null,
    close_ms: f.closeMs ?? null,
    delete_after_ms: f.deleteAfterMs ?? null,
    uploaded_key: f.uploadedKey ?? null,
    uploaded_ms: f.uploadedMs ?? null,
    deleted_ms: f.deletedMs ?? null,
    deleted_reason: f.deletedReason ?? null,
  };
}

export function fileFromRow(row: Row): StoredFile {
  const optional = {
    firstPacketMs: optionalNumber(row['first_packet_ms']),
    lastPacketMs: optionalNumber(row['last_packet_ms']),
    closeMs: optionalNumber(row['close_ms']),
    deleteAfterMs: optionalNumber(row['delete_after_ms']),
    uploadedMs: optionalNumber(row['uploaded_ms']),
    deletedMs: optionalNumber(row['deleted_ms']),
  };
  const uploadedKey = row['uploaded_key'];
  const deletedReason = row['deleted_reason'];
  return {
    path: String(row['path']),
    sessionId: String(row['session_id']),
    segment: Number(row['segment']),
    format: String(row['format']),
    interfaces: JSON.parse(String(row['interfaces'])) as string[],
    linkType: Number(row['link_type']),
    bytes: Number(row['bytes']),
    packets: Number(row['packets']),
    capturedBytes: Number(row['captured_bytes']),
    sha256: String(row['sha256']),
    closed: Number(row['closed']) === 1,
    openMs: Number(row['open_ms']),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    ...(typeof uploadedKey === 'string' && { uploadedKey }),
    ...(typeof deletedReason === 'string' && { deletedReason: deletedReason as DeletedReason }),
  };
}
