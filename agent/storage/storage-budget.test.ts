import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../session/fakes.js';
import { measureTree } from './disk-usage.js';
import { SAFETY_BYTES, StorageBudget } from './storage-budget.js';

const MiB = 1024 * 1024;
const logger = pino({ level: 'silent' });

describe('StorageBudget', () => {
  let dir = '';
  let budget: StorageBudget | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-budget-'));
  });

  afterEach(async () => {
    budget?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(limitBytes: number, clock = new FakeClock()): Promise<StorageBudget> {
    budget = await StorageBudget.open({ dataDir: dir, limitBytes, clock, logger });
    return budget;
  }

  it('should refuse growth past the limit less the safety margin, and give room back when a file goes', async () => {
    const b = await open(4 * MiB);
    const base = b.used();
    const room = 4 * MiB - SAFETY_BYTES - base;
    const file = path.join(dir, 'a.pcap');
    expect(b.grow(file, room - 2 * 4096)).toBe(true);
    expect(b.grow(file, room + 1)).toBe(false);
    expect(b.status()).toMatchObject({ full: true, limitBytes: 4 * MiB });
    expect(b.used()).toBeLessThanOrEqual(4 * MiB - SAFETY_BYTES);
    expect(b.admit(8192, 1)).toBe(false);
    b.forget(file);
    expect(b.status().full).toBe(true);
    expect(b.admit(8192, 1)).toBe(true);
    expect(b.status().full).toBe(false);
  });

  it('should count what nobody charged once it measures (the state store, other files, directories)', async () => {
    const b = await open(8 * MiB);
    const before = b.used();
    await writeFile(path.join(dir, 'other.bin'), Buffer.alloc(MiB, 1));
    await b.measure();
    expect(b.used()).toBeGreaterThanOrEqual(before + MiB);
    expect(b.used()).toBe((await measureTree(dir)).totalBytes);
  });

  it('should charge a measured file what the disk says once it is settled', async () => {
    const b = await open(8 * MiB);
    const file = path.join(dir, 'b.pcap');
    expect(b.grow(file, 10)).toBe(true);
    await writeFile(file, Buffer.alloc(10));
    b.settled(file);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.used()).toBe((await measureTree(dir)).totalBytes);
  });

  it('should evict when it comes close to the room, once at a time', async () => {
    const clock = new FakeClock();
    const b = await open(8 * MiB, clock);
    const asked: number[] = [];
    b.setEvictor((bytes) => {
      asked.push(bytes);
      return Promise.resolve(0);
    });
    const room = 8 * MiB - SAFETY_BYTES - b.used();
    expect(b.grow(path.join(dir, 'c.pcap'), room - MiB / 2)).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Nothing could be evicted: no new attempt until a measurement interval passed.
    expect(b.grow(path.join(dir, 'c.pcap'), room - MiB / 4)).toBe(true);
    expect(asked).toHaveLength(1);
  });

  it('should cap the room by what the volume has free', async () => {
    const b = await open(0);
    expect(b.status().limitBytes).toBe(0);
    expect(b.status().availableBytes).toBeGreaterThan(0);
    expect(b.grow(path.join(dir, 'd.pcap'), Number.MAX_SAFE_INTEGER / 2)).toBe(false);
  });
});
