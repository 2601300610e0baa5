import { describe, expect, it } from 'vitest';
import { enhancedPacket, enhancedPacketLength, writeEnhancedPacket } from './pcapng-encoder.js';

describe('enhanced packet blocks', () => {
  it('should write the exact 64-bit nanosecond timestamp without BigInt', () => {
    const seconds = [0, 1, 65535, 65536, 1_796_224_416, 2 ** 32 - 1];
    for (let i = 0; i < 200; i++) seconds.push(Math.floor(Math.random() * 2 ** 32));
    for (const tsSec of seconds) {
      const tsNsec = Math.floor(Math.random() * 1e9);
      const block = enhancedPacket(3, tsSec, tsNsec, Buffer.from('abcde'), 60);
      const ns = BigInt(tsSec) * 1_000_000_000n + BigInt(tsNsec);
      expect((BigInt(block.readUInt32LE(12)) << 32n) | BigInt(block.readUInt32LE(16))).toBe(ns);
    }
  });

  it('should lay out the block and zero its padding in a reused buffer', () => {
    const out = Buffer.alloc(64, 0xff);
    const end = writeEnhancedPacket(out, 4, 2, 10, 20, Buffer.from('xxabcdexx'), 2, 5, 99);
    const length = enhancedPacketLength(5);
    expect(length).toBe(40);
    expect(end).toBe(4 + length);
    expect(out.readUInt32LE(4)).toBe(6); // EPB
    expect(out.readUInt32LE(8)).toBe(length);
    expect(out.readUInt32LE(12)).toBe(2);
    expect(out.readUInt32LE(24)).toBe(5);
    expect(out.readUInt32LE(28)).toBe(99);
    expect(out.subarray(32, 37).toString()).toBe('abcde');
    expect([...out.subarray(37, 40)]).toEqual([0, 0, 0]);
    expect(out.readUInt32LE(4 + length - 4)).toBe(length);
    expect(out.readUInt8(4 + length)).toBe(0xff); // nothing written past the block
  });
});
