// Sessions survive agent restarts: the real agent records steady UDP traffic
// on lo, is killed with SIGKILL (a crash) and later stopped with SIGTERM (an
// upgrade), each time replaced by a new process on the same data directory.
// The session resumes within 5 s of each new agent serving, as segments 2 and
// 3 of the same session, lists the files of every segment, reports both gaps,
// and its packet total equals what tshark counts over all its pcap files.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import { unary } from './agent-clients.js';
import { PORT_X, sessionSpec, startTestAgent, type TestAgent } from './agent-harness.js';
import { tsharkCount, udpFlood, type Flood } from './agent-traffic.js';

const RESUME_WITHIN_MS = 5000;
const POLL_MS = 50;

function ms(t: { seconds?: number | string | null; nanos?: number | null } | null | undefined): number {
  return Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);
}

describe('tapedeck-agent restarts', () => {
  let t: TestAgent;
  let flood: Flood | undefined;

  beforeAll(async () => {
    t = await startTestAgent();
  });

  afterAll(async () => {
    flood?.stop();
    await t?.close();
  });

  async function session(id: string): Promise<Session__Output> {
    return unary(t.api.GetSession.bind(t.api), { id });
  }

  /** Polls until `check` holds for the session; returns it and how long that took. */
  async function until(id: string, check: (s: Session__Output) => boolean): Promise<[Session__Output, number]> {
    const started = Date.now();
    for (;;) {
      const current = await session(id).catch(() => undefined);
      if (current !== undefined && check(current)) return [current, Date.now() - started];
      if (Date.now() - started > 30_000) throw new Error(`session ${id} never matched: ${JSON.stringify(current)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  it('should resume after kill -9 and after SIGTERM as segments of one session with gaps and exact totals', async () => {
    const spec = sessionSpec(randomUUID());
    const id = (await t.start(spec)).session?.id ?? '';
    flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }], 5, 10);
    await until(id, (s) => Number(s.stats?.packetsCaptured) > 100);

    const resumedAfter: number[] = [];
    for (const [signal, segment] of [
      ['SIGKILL', 2],
      ['SIGTERM', 3],
    ] as const) {
      const before = Number((await session(id)).stats?.packetsCaptured);
      await t.restart(signal);
      // Capturing again: the new segment runs and its packets add to the earlier ones.
      const [resumed, tookMs] = await until(
        id,
        (s) =>
          s.segment === segment && s.state === 'SESSION_STATE_RUNNING' && Number(s.stats?.packetsCaptured) > before,
      );
      resumedAfter.push(tookMs);
      expect(tookMs).toBeLessThan(RESUME_WITHIN_MS);
      // The files of the earlier segments (two formats each) are still listed, closed.
      expect(resumed.files.filter((f) => f.closed).length).toBeGreaterThanOrEqual(2 * (segment - 1));
      await until(id, (s) => Number(s.stats?.packetsCaptured) > before + 100);
    }
    flood.stop();
    flood = undefined;

    const final = await unary(t.api.StopSession.bind(t.api), { id });
    expect(final.state).toBe('SESSION_STATE_STOPPED');
    expect(final.segment).toBe(3);
    expect(final.gaps.map((g) => g.reason)).toEqual([
      expect.stringContaining('ended unexpectedly'),
      expect.stringContaining('after a shutdown'),
    ]);
    for (const gap of final.gaps) expect(ms(gap.to)).toBeGreaterThan(ms(gap.from));
    // Two formats per segment, every file closed (not exported, so not hashed).
    expect(final.files).toHaveLength(6);
    for (const file of final.files) expect([file.closed, file.sha256]).toEqual([true, '']);
    const pcaps = final.files.filter((f) => f.format === 'OUTPUT_FORMAT_PCAP');
    let inFiles = 0;
    for (const file of pcaps) {
      const counted = await tsharkCount(file.path);
      expect(counted).toBe(Number(file.packets));
      inFiles += counted;
    }
    expect(Number(final.stats?.packetsCaptured)).toBe(inFiles);
    let pcapngs = 0;
    for (const file of final.files.filter((f) => f.format === 'OUTPUT_FORMAT_PCAPNG')) {
      pcapngs += await tsharkCount(file.path);
    }
    // After kill -9 the two formats of segment 1 may differ by the batch being written (~25 packets here).
    expect(Math.abs(pcapngs - inFiles)).toBeLessThanOrEqual(500);
    const gaps = final.gaps.map((g) => ms(g.to) - ms(g.from));
    process.stderr.write(
      `agent-restart: resumed ${resumedAfter.join(' ms, ')} ms after the new agent served; gaps ${gaps.join(' ms, ')} ms; ` +
        `packets ${final.stats?.packetsCaptured} = tshark ${inFiles} over ${pcaps.length} pcap files (pcapng ${pcapngs})\n`,
    );
  });
});
