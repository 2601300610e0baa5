import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue, maxRetryDelay, minRetryDelay, retryDelay } from './work-queue.js';

describe('retryDelay', () => {
  it.each<[number, number]>([
    [1, minRetryDelay],
    [2, 1_000],
    [3, 2_000],
    [7, 30_000],
    [50, maxRetryDelay],
  ])('should wait after failure %i for %i ms', (failures, delay) => {
    expect(retryDelay(failures)).toBe(delay);
  });
});

describe('WorkQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function harness(handler: (key: string) => Promise<{ requeueAfterMs?: number } | void> = async () => {}) {
    const q = new WorkQueue(() => Date.now());
    const seen: string[] = [];
    const errors: [string, number][] = [];
    const running = q.run(
      async (key) => {
        seen.push(key);
        return handler(key);
      },
      (key, _e, retry) => errors.push([key, retry]),
      2,
    );
    return { q, seen, errors, running };
  }

  it('should process a key added many times while waiting once', async () => {
    const { q, seen, running } = harness();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    await vi.advanceTimersByTimeAsync(0);
    await q.drained();
    expect(seen).toEqual(['ns/a', 'ns/b']);
    q.shutdown();
    await running;
  });

  it('should never process one key concurrently and re-run it when added meanwhile', async () => {
    let active = 0;
    let maxActive = 0;
    let release: () => void = () => {};
    const { q, seen, running } = harness(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
    });
    q.add('ns/a');
    await vi.advanceTimersByTimeAsync(0);
    q.add('ns/a');
    q.add('ns/a');
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['ns/a']);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['ns/a', 'ns/a']);
    release();
    await q.drained();
    expect(maxActive).toBe(1);
    q.shutdown();
    await running;
  });

  it('should back off failures exponentially and reset after a success', async () => {
    let failuresLeft = 3;
    const { q, seen, errors, running } = harness(async () => {
      if (failuresLeft-- > 0) throw new Error('boom');
    });
    q.add('ns/a');
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual([['ns/a', 500]]);
    await vi.advanceTimersByTimeAsync(500);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(errors.map(([, d]) => d)).toEqual([500, 1_000, 2_000]);
    expect(seen).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(seen).toHaveLength(4);
    q.add('ns/a');
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toHaveLength(5);
    q.shutdown();
    await running;
  });

  it('should requeue after the delay a handler asks for, keeping the earliest', async () => {
    const { q, seen, running } = harness(async () => ({ requeueAfterMs: 5_000 }));
    q.add('ns/a');
    await vi.advanceTimersByTimeAsync(0);
    q.addAfter('ns/a', 1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toHaveLength(2);
    q.shutdown();
    await running;
  });

  it('should let workers exit on shutdown and ignore later adds', async () => {
    const { q, seen, running } = harness();
    q.shutdown();
    q.add('ns/a');
    await running;
    expect(seen).toEqual([]);
  });
});
