import { describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import { admitBatch, NO_LIMITS, StopReason } from './stop-condition.js';

function batch(sizes: readonly number[]): Buffer {
  const parts = sizes.map((size) => {
    const record = Buffer.alloc(RECORD_HEADER_BYTES + size);
    record.writeUInt32LE(size, 8);
    record.writeUInt32LE(size, 12);
    return record;
  });
  return Buffer.concat(parts);
}

describe('admitBatch', () => {
  it.each([
    {
      name: 'no limits',
      before: [0, 0],
      limits: NO_LIMITS,
      sizes: [10, 20, 30],
      packets: 3,
      bytes: 60,
      hit: undefined,
    },
    {
      name: 'packet limit inside the batch',
      before: [0, 0],
      limits: { ...NO_LIMITS, packets: 2 },
      sizes: [10, 20, 30],
      packets: 2,
      bytes: 30,
      hit: StopReason.PacketLimit,
    },
    {
      name: 'packet limit at the batch end',
      before: [7, 0],
      limits: { ...NO_LIMITS, packets: 10 },
      sizes: [1, 1, 1],
      packets: 3,
      bytes: 3,
      hit: StopReason.PacketLimit,
    },
    {
      name: 'packet limit already reached',
      before: [10, 0],
      limits: { ...NO_LIMITS, packets: 10 },
      sizes: [1],
      packets: 0,
      bytes: 0,
      hit: StopReason.PacketLimit,
    },
    {
      name: 'byte limit keeps the packet that crosses it',
      before: [0, 0],
      limits: { ...NO_LIMITS, bytes: 25 },
      sizes: [10, 20, 30],
      packets: 2,
      bytes: 30,
      hit: StopReason.ByteLimit,
    },
    {
      name: 'first hit wins',
      before: [0, 0],
      limits: { ...NO_LIMITS, packets: 1, bytes: 5 },
      sizes: [10, 20],
      packets: 1,
      bytes: 10,
      hit: StopReason.PacketLimit,
    },
  ])('should admit $packets packets with $name', ({ before, limits, sizes, packets, bytes, hit }) => {
    const data = batch(sizes);
    const counters = { packets: before[0] ?? 0, bytes: before[1] ?? 0 };
    const admission = admitBatch(counters, limits, data, data.length, sizes.length);
    expect(admission.packets).toBe(packets);
    expect(admission.capturedBytes).toBe(bytes);
    expect(admission.recordBytes).toBe(packets * RECORD_HEADER_BYTES + bytes);
    expect(admission.limitHit).toBe(hit);
  });

  it('should stop at a truncated record when a limit makes it read the records', () => {
    const data = batch([10, 10]);
    const admission = admitBatch({ packets: 0, bytes: 0 }, { ...NO_LIMITS, packets: 2 }, data, data.length - 1, 2);
    expect(admission.packets).toBe(1);
  });

  it('should admit a batch under every limit whole, trusting its length', () => {
    const data = batch([10, 20, 30]);
    const admission = admitBatch({ packets: 5, bytes: 500 }, { ...NO_LIMITS, packets: 9 }, data, data.length, 3);
    expect(admission).toEqual({ packets: 3, recordBytes: data.length, capturedBytes: 60 });
  });
});
