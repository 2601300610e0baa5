// The node's storage budget holds under a full-rate flood: the real agent records UDP on lo for 30 s
// into a 50 MiB budget with 1 MiB rotation (the CRD's minimum), pcap and pcapng, while the test
// samples `du -s -B1` of the data directory every 100 ms. Usage never exceeds the budget; the
// session stays running and reports storage_full; what it could not write is counted as lost,
// exactly: datagrams sent = packets in the files (capinfos) + packets lost. The same on a tmpfs of
// exactly the budget's size (no write may fail with ENOSPC) and on a tmpfs smaller than the budget
// (the statfs path). A last case stops the session with StorageFull when the spec says Stop.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import { unary } from './agent-clients.js';
import { PORT_X, sessionSpec, startTestAgent, type TestAgent } from './agent-harness.js';
import { requireTools } from './analyze-tools.js';
import { capinfosCounts, fullRateUdp, sampleDu } from './storage-traffic.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const LIMIT = 50 * MiB;
const FLOOD_MS = 30_000;

await requireTools(['capinfos', 'du', 'mount', 'umount']);

interface Case {
  readonly name: string;
  /** Mount a tmpfs of this many bytes on the data directory. */
  readonly tmpfsBytes?: number;
}

const CASES: Case[] = [
  { name: 'on the host file system' },
  { name: 'on a tmpfs exactly the size of the budget', tmpfsBytes: LIMIT },
  { name: 'on a tmpfs smaller than the budget (statfs)', tmpfsBytes: 30 * MiB },
];

describe('tapedeck-agent storage budget', () => {
  let t: TestAgent | undefined;
  let mounted: string | undefined;

  afterEach(async () => {
    await t?.agent.stop();
    if (mounted !== undefined) await run('umount', [mounted]).catch(() => undefined);
    mounted = undefined;
    await t?.close();
    t = undefined;
  });

  async function startAgent(tmpfsBytes: number | undefined): Promise<TestAgent> {
    return startTestAgent(['--storage-limit', '50Mi'], {
      beforeStart: async (dataDir) => {
        if (tmpfsBytes === undefined) return;
        await mkdir(dataDir, { recursive: true });
        await run('mount', ['-t', 'tmpfs', '-o', `size=${tmpfsBytes},mode=0700`, 'tapedeck-test', dataDir]);
        mounted = dataDir;
      },
    });
  }

  async function get(agent: TestAgent, id: string): Promise<Session__Output> {
    return unary(agent.api.GetSession.bind(agent.api), { id });
  }

  it.each(CASES)(
    'should never exceed the budget and count what it cannot write $name',
    async ({ tmpfsBytes }) => {
      const agent = await startAgent(tmpfsBytes);
      t = agent;
      const spec = sessionSpec(randomUUID(), {
        output: { formats: ['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_PCAPNG'], rotation: { maxFileBytes: MiB } },
      });
      const id = (await agent.start(spec)).session?.id ?? '';
      const du = sampleDu(agent.dataDir, 100);
      let sawFull = false;
      let maxReported = 0;
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const list = await unary(agent.api.ListSessions.bind(agent.api), {});
          maxReported = Math.max(maxReported, Number(list.storage?.usedBytes ?? 0));
          const session = list.sessions.find((s) => s.id === id);
          if (session?.storageFull === true && session.state === 'SESSION_STATE_RUNNING') sawFull = true;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      const sent = await fullRateUdp('127.0.0.1', PORT_X, FLOOD_MS);
      // Let the capture drain what the kernel ring still holds.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const running = await get(agent, id);
      polling = false;
      await poll;
      const final = await agent.stop(id);
      const usage = await du.stop();

      const capacity = Math.min(LIMIT, tmpfsBytes ?? LIMIT);
      expect(usage.maxBytes).toBeGreaterThan(capacity * 0.8);
      expect(usage.maxBytes).toBeLessThanOrEqual(LIMIT);
      expect(usage.maxBytes).toBeLessThanOrEqual(capacity);
      expect(usage.samples).toBeGreaterThan(100);
      expect(maxReported).toBeLessThanOrEqual(LIMIT);
      // The session ran on through the full budget.
      expect(running.state).toBe('SESSION_STATE_RUNNING');
      expect(sawFull).toBe(true);
      expect(final.state).toBe('SESSION_STATE_STOPPED');
      expect(final.stopReason).toBe('STOP_REASON_STOPPED');
      expect(final.message).toBe('');
      const logText = [...agent.agent.stderr, ...agent.agent.logs.map((l) => JSON.stringify(l))].join('\n');
      expect(logText).not.toMatch(/ENOSPC|no space left/i);
      expect(logText).not.toContain('Cannot write the state store');

      const counts = await capinfosCounts(final.files.map((f) => f.path));
      const sum = (format: string): number =>
        final.files.filter((f) => f.format === format).reduce((n, f) => n + (counts.get(f.path) ?? NaN), 0);
      const inPcap = sum('OUTPUT_FORMAT_PCAP');
      const inPcapng = sum('OUTPUT_FORMAT_PCAPNG');
      const captured = Number(final.stats?.packetsCaptured);
      const lost = Number(final.stats?.packetsLost);
      const lostStorage = Number(final.packetsLostStorage);
      // A batch goes to every format or to none.
      expect(inPcap).toBe(captured);
      expect(inPcapng).toBe(captured);
      expect(lostStorage).toBeGreaterThan(0);
      expect(Number(final.bytesLostStorage)).toBeGreaterThan(0);
      expect(lost).toBeGreaterThanOrEqual(lostStorage);
      expect(captured + lost).toBe(sent);
      process.stderr.write(
        `agent-storage ${tmpfsBytes === undefined ? 'host' : `tmpfs ${tmpfsBytes / MiB} MiB`}: sent ${sent}, ` +
          `in files ${inPcap} (pcapng ${inPcapng}) + lost ${lost} (storage ${lostStorage}, kernel/other ${lost - lostStorage}); ` +
          `du max ${usage.maxBytes} of ${LIMIT} over ${usage.samples} samples; reported max ${maxReported}; ` +
          `${final.files.length} files\n`,
      );
    },
    FLOOD_MS + 90_000,
  );

  it('should stop with StorageFull when onStorageFull is Stop', async () => {
    const agent = await startAgent(undefined);
    t = agent;
    const spec = sessionSpec(randomUUID(), {
      output: { formats: ['OUTPUT_FORMAT_PCAP'], rotation: { maxFileBytes: MiB } },
      onStorageFull: 'STORAGE_FULL_POLICY_STOP',
    });
    const id = (await agent.start(spec)).session?.id ?? '';
    const du = sampleDu(agent.dataDir, 100);
    const sent = await fullRateUdp('127.0.0.1', PORT_X, 20_000);
    const final = await get(agent, id);
    const usage = await du.stop();
    expect(final.state).toBe('SESSION_STATE_STOPPED');
    expect(final.stopReason).toBe('STOP_REASON_STORAGE_FULL');
    expect(final.storageFull).toBe(false);
    expect(usage.maxBytes).toBeLessThanOrEqual(LIMIT);
    const counts = await capinfosCounts(final.files.map((f) => f.path));
    const inFiles = [...counts.values()].reduce((a, b) => a + b, 0);
    expect(inFiles).toBe(Number(final.stats?.packetsCaptured));
    expect(Number(final.packetsLostStorage)).toBeGreaterThan(0);
    process.stderr.write(
      `agent-storage stop: sent ${sent}, in files ${inFiles}, lost to storage ${final.packetsLostStorage}, du max ${usage.maxBytes}\n`,
    );
  }, 90_000);
});
