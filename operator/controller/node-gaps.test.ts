import { describe, expect, it } from 'vitest';
import { ClosedGapTally, closeGapsAt, openUnreachableGap } from './node-gaps.js';

const t0 = Date.parse('2026-03-10T10:00:00Z');

describe('node gaps', () => {
  it('should open one provisional gap at a time, bounded, and close open gaps at the window end', () => {
    const open = openUnreachableGap(undefined, 'x'.repeat(400), t0);
    expect(open).toEqual([{ from: '2026-03-10T10:00:00Z', reason: `agent unreachable: ${'x'.repeat(237)}` }]);
    expect(openUnreachableGap(open, 'again', t0 + 5_000)).toBe(open);
    expect(closeGapsAt(open, t0 + 60_000)?.[0]?.to).toBe('2026-03-10T10:01:00Z');
  });

  it('should count each closed gap once per Recording, even when the same status is seen again', () => {
    const tally = new ClosedGapTally();
    const gap = { from: '2026-03-10T10:00:00Z', to: '2026-03-10T10:00:10Z', reason: 'agent restarted' };
    const rows = [{ name: 'a', gaps: [gap] }, { name: 'b' }];
    expect(tally.newlyClosed('u', [{ name: 'a', gaps: [{ from: gap.from, reason: 'open' }] }])).toBe(0);
    expect(tally.newlyClosed('u', rows)).toBe(1);
    expect(tally.newlyClosed('u', rows)).toBe(0);
    expect(tally.newlyClosed('other', rows)).toBe(1);
    tally.forget('u');
    expect(tally.newlyClosed('u', rows)).toBe(1);
  });
});
