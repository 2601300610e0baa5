import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import type { NodeRow } from './recording-view.js';
import { recordingFixture } from './recording-fixture.js';
import { FOLD_ROW_THRESHOLD, MAX_STATUS_BYTES, boundRows, summarize } from './status-bound.js';

/** A 253-character node name, unique per i. */
const nodeName = (i: number): string => `${String(i).padStart(5, '0')}.${'n'.repeat(247)}`;
const file = (i: number, k: number) => ({
  name: `tapedeck_1795307153_${i}_${k}_${'f'.repeat(200)}.pcapng`,
  format: 'pcapng' as const,
  bytes: 1 << 20,
  closed: true,
});

function rows(n: number, failing: number, files: number, message = 'x'.repeat(1024)): NodeRow[] {
  return Array.from({ length: n }, (_, i) => ({
    name: nodeName(i),
    phase: i < failing ? ('Failed' as const) : ('Capturing' as const),
    packetsCaptured: 123_456_789,
    bytesCaptured: 987_654_321_000,
    packetsLost: 12,
    bytesLost: 3_400,
    ...(i < failing ? { message } : {}),
    files: Array.from({ length: files }, (_, k) => file(i, k)),
    since: '2026-03-10T10:00:00Z',
  }));
}

describe('boundRows', () => {
  it('should list every row of a small Recording', () => {
    const all = rows(20, 2, 3);
    expect(boundRows(all).rows).toEqual(all);
  });

  it.each<[string, NodeRow[]]>([
    ['5000 nodes, 300 failing, 3 files each', rows(5000, 300, 3)],
    ['5000 nodes, all failing with 1 KiB messages and 64 files each', rows(5000, 5000, 64)],
  ])('should keep %s within 1 MiB, unhealthy rows first', (_what, all) => {
    const bounded = boundRows(all);
    const status = decideStatusSize(bounded.rows.length, all);
    expect(status).toBeLessThanOrEqual(MAX_STATUS_BYTES);
    expect(bounded.counts).toMatchObject({ targeted: 5000 });
    expect(bounded.rows.every((r) => r.phase === 'Failed')).toBe(true);
    expect((bounded.counts.folded ?? 0) + bounded.rows.length).toBe(5000);
  });

  it('should fold healthy rows only above the threshold, keeping every failed one', () => {
    const bounded = boundRows(rows(FOLD_ROW_THRESHOLD + 1, 300, 3));
    expect(bounded.rows).toHaveLength(FOLD_ROW_THRESHOLD + 1);
    const big = boundRows(rows(5000, 300, 3));
    expect(big.rows).toHaveLength(300);
    expect(big.counts).toMatchObject({ capturing: 4700, failed: 300, folded: 4700 });
  });
});

/** The serialized size of the whole status decide() builds for `all` as the previous rows. */
function decideStatusSize(_listed: number, all: NodeRow[]): number {
  const recording = recordingFixture(
    { schedule: { startTime: '', dailyIterations: 1, duration: '60m' } },
    {
      phase: 'Running',
      iteration: 1,
      nodes: all,
    },
  );
  const d = decide({
    recording,
    targets: all.map((r) => ({ node: r.name, podIPs: [] })),
    reports: new Map(),
    now: Date.parse('2026-03-10T10:00:10Z'),
  });
  return Buffer.byteLength(JSON.stringify({ status: d.status }));
}

describe('summarize', () => {
  it.each<[string[], string]>([
    [['a'], '1 node failed: a'],
    [['a', 'b', 'c'], '3 nodes failed: a, b, c'],
    [Array.from({ length: 12 }, (_, i) => String.fromCharCode(97 + i)), '12 nodes failed: a, b, c and 9 more'],
  ])('should summarise %j', (names, message) => {
    expect(summarize('failed', names)).toBe(message);
  });
});
