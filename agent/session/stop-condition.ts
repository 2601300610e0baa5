// Hubble's stop conditions: packets, bytes and time elapsed; zero means no
// limit; the first condition hit stops the session. A packet limit of N gives
// exactly N packets: admitBatch tells the session how many records of a batch
// to hand to the writers.
import { endianness } from 'node:os';
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';

export const StopReason = {
  PacketLimit: 'PacketLimit',
  ByteLimit: 'ByteLimit',
  TimeElapsed: 'TimeElapsed',
  Stopped: 'Stopped',
  Duration: 'Duration',
  StorageFull: 'StorageFull',
  Error: 'Error',
  Shutdown: 'Shutdown',
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

export interface StopLimits {
  /** Stop after exactly this many packets; 0 = no limit. */
  readonly packets: number;
  /** Stop once at least this many captured bytes were written; 0 = no limit. */
  readonly bytes: number;
  /** Stop this long after the start; 0 = no limit. */
  readonly timeElapsedMs: number;
}

export const NO_LIMITS: StopLimits = { packets: 0, bytes: 0, timeElapsedMs: 0 };

export interface Counters {
  readonly packets: number;
  readonly bytes: number;
}

export interface Admission {
  /** Records to write from the start of the batch. */
  readonly packets: number;
  /** Length in bytes of those records in the batch buffer (headers included). */
  readonly recordBytes: number;
  /** Captured bytes (packet data only) in those records. */
  readonly capturedBytes: number;
  /** Set when writing these records reaches a limit. */
  readonly limitHit?: typeof StopReason.PacketLimit | typeof StopReason.ByteLimit;
}

const readU32: (buffer: Buffer, offset: number) => number =
  endianness() === 'LE' ? (b, o) => b.readUInt32LE(o) : (b, o) => b.readUInt32BE(o);

/**
 * Walks the batch's records (host-order pcap records, see packet-batch.ts) and
 * admits them until a limit is reached. Bytes count captured packet data, as
 * Hubble does (file headers come on top).
 */
export function admitBatch(
  counters: Counters,
  limits: StopLimits,
  data: Buffer,
  length: number,
  packets: number,
): Admission {
  // Hot path: the whole batch stays under every limit, so no record needs reading.
  const batchCaptured = length - packets * RECORD_HEADER_BYTES;
  if (
    (limits.packets === 0 || counters.packets + packets < limits.packets) &&
    (limits.bytes === 0 || counters.bytes + batchCaptured < limits.bytes)
  ) {
    return { packets, recordBytes: length, capturedBytes: batchCaptured };
  }
  let admitted = 0;
  let offset = 0;
  let captured = 0;
  while (admitted < packets && offset + RECORD_HEADER_BYTES <= length) {
    if (limits.packets > 0 && counters.packets + admitted >= limits.packets) break;
    if (limits.bytes > 0 && counters.bytes + captured >= limits.bytes) break;
    const capturedLength = readU32(data, offset + 8);
    const next = offset + RECORD_HEADER_BYTES + capturedLength;
    if (next > length) break;
    offset = next;
    captured += capturedLength;
    admitted += 1;
  }
  const base = { packets: admitted, recordBytes: offset, capturedBytes: captured };
  if (limits.packets > 0 && counters.packets + admitted >= limits.packets) {
    return { ...base, limitHit: StopReason.PacketLimit };
  }
  if (limits.bytes > 0 && counters.bytes + captured >= limits.bytes) {
    return { ...base, limitHit: StopReason.ByteLimit };
  }
  return base;
}
