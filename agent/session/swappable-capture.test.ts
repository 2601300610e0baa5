import { describe, expect, it } from 'vitest';
import type { CaptureOptions } from '../capture/capture-source.js';
import { FakeCapture } from './fakes.js';
import { SwappableCapture } from './swappable-capture.js';

function harness(failOn = ''): { handle: SwappableCapture; captures: FakeCapture[]; batches: number[] } {
  const captures: FakeCapture[] = [];
  const open = (options: CaptureOptions): FakeCapture => {
    if (failOn !== '' && options.filter === failOn) throw new Error(`cannot compile ${options.filter}`);
    const capture = new FakeCapture(options);
    captures.push(capture);
    return capture;
  };
  const handle = new SwappableCapture(open, { interface: 'lo', filter: 'host 10.0.0.1', snaplen: 0 });
  const batches: number[] = [];
  handle.onBatch((batch) => {
    batches.push(batch.packets);
    batch.release();
  });
  return { handle, captures, batches };
}

describe('SwappableCapture', () => {
  it('should open a new handle with the new filter before closing the old one', async () => {
    const { handle, captures, batches } = harness();
    captures[0]?.emit([10, 10]);
    await handle.replace('host 10.0.0.1 or host 10.0.0.2');
    captures[1]?.emit([20, 20, 20]);

    expect(captures.map((c) => [c.options.filter, c.closed])).toEqual([
      ['host 10.0.0.1', true],
      ['host 10.0.0.1 or host 10.0.0.2', false],
    ]);
    expect(handle.filter).toBe('host 10.0.0.1 or host 10.0.0.2');
    expect(batches).toEqual([2, 3]);
  });

  it('should add the statistics of replaced handles to the current ones', async () => {
    const { handle, captures } = harness();
    captures[0]!.kernelDropped = 2;
    captures[0]?.emit([10, 10]);
    await handle.replace('udp');
    captures[1]?.emit([10]);
    captures[1]!.kernelDropped = 1;

    expect(handle.stats()).toMatchObject({ packetsReceived: 3, kernelDropped: 3 });
    expect(await handle.close()).toMatchObject({ packetsReceived: 3, kernelDropped: 3 });
    expect(captures.every((c) => c.closed)).toBe(true);
  });

  it('should keep the old handle when the new one cannot be opened', async () => {
    const { handle, captures } = harness('bad');
    await expect(handle.replace('bad')).rejects.toThrow('cannot compile bad');

    expect(handle.filter).toBe('host 10.0.0.1');
    expect(captures.map((c) => c.closed)).toEqual([false]);
  });

  it('should not open a handle for the filter it already has', async () => {
    const { handle, captures } = harness();
    await handle.replace('host 10.0.0.1');

    expect(captures).toHaveLength(1);
  });

  it('should refuse a replace once closed', async () => {
    const { handle } = harness();
    await handle.close();

    await expect(handle.replace('udp')).rejects.toThrow('closing');
  });
});
