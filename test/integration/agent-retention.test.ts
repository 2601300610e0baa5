// Retention on the real agent, with an agent restart between the files' close and their deadline:
// pcapTTL 5 s deletes every packet file (pcap and pcapng) 5 s ± 1 s after it closed, while a
// session whose TTL is jsonTTL (record formats only) keeps its pcap files; expireAfter deletes all
// local data of a run (files and its directory) on time and the session then reports expired.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import type { SessionSpec } from '../../proto/generated/tapedeck/agent/v1/SessionSpec.js';
import { unary } from './agent-clients.js';
import { PORT_X, sessionSpec, startTestAgent, type TestAgent } from './agent-harness.js';
import { udpFlood, type Flood } from './agent-traffic.js';

const TTL_MS = 5000;
const EXPIRE_MS = 4000;
const TOLERANCE_MS = 1000;

function ms(t: { seconds?: number | string | null; nanos?: number | null } | null | undefined): number {
  return Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);
}

function spec(name: string, retention: SessionSpec['retention']): SessionSpec {
  const uid = randomUUID();
  return sessionSpec(uid, {
    recording: { namespace: 'shop', name, uid, iteration: 1 },
    // Files closed by age while running, and the last ones at stop: several close times.
    output: { formats: ['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_PCAPNG'], rotation: { maxFileAge: { seconds: 2 } } },
    retention,
  });
}

/** Polls every 100 ms until every path is gone; resolves with when each went (ms since the epoch). */
async function whenGone(paths: readonly string[], timeoutMs: number): Promise<Map<string, number>> {
  const gone = new Map<string, number>();
  const until = Date.now() + timeoutMs;
  while (gone.size < paths.length && Date.now() < until) {
    for (const p of paths) if (!gone.has(p) && !existsSync(p)) gone.set(p, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return gone;
}

describe('tapedeck-agent retention', () => {
  let t: TestAgent;
  let flood: Flood | undefined;

  beforeAll(async () => {
    t = await startTestAgent();
  });

  afterAll(async () => {
    flood?.stop();
    await t?.close();
  });

  async function get(id: string): Promise<Session__Output> {
    return unary(t.api.GetSession.bind(t.api), { id });
  }

  it('should delete packet files on pcapTTL and a run on expireAfter, on time across a restart', async () => {
    const ttl = spec('ttl', { pcapTtl: { seconds: TTL_MS / 1000 } });
    const recordTtl = spec('record-ttl', { jsonTtl: { seconds: TTL_MS / 1000 } });
    const expire = spec('expire', { expireAfter: { seconds: EXPIRE_MS / 1000 } });
    const ids: string[] = [];
    for (const s of [ttl, recordTtl, expire]) ids.push((await t.start(s)).session?.id ?? '');
    const [ttlId = '', recordTtlId = '', expireId = ''] = ids;
    flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }], 5, 10);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const stopped = new Map<string, Session__Output>();
    for (const id of ids) stopped.set(id, await t.stop(id));
    flood.stop();
    flood = undefined;

    const ttlFiles = stopped.get(ttlId)?.files ?? [];
    const keptFiles = stopped.get(recordTtlId)?.files ?? [];
    const expired = stopped.get(expireId);
    expect(ttlFiles.length).toBeGreaterThanOrEqual(4);
    expect(new Set(ttlFiles.map((f) => ms(f.closeTime))).size).toBeGreaterThan(1);
    // A crash between the close and the deadlines: the next agent finds them in the state store. It
    // serves before the first deadline (a deadline while no agent runs can only be kept late).
    await t.restart('SIGKILL');
    const firstDeadline = Math.min(...ttlFiles.map((f) => ms(f.closeTime) + TTL_MS), ms(expired?.stopTime) + EXPIRE_MS);
    expect(Date.now()).toBeLessThan(firstDeadline);

    const gone = await whenGone(
      ttlFiles.map((f) => f.path).concat((expired?.files ?? []).map((f) => f.path)),
      TTL_MS + 5000,
    );
    const lateness: number[] = [];
    for (const file of ttlFiles) {
      const at = gone.get(file.path);
      expect(at, `${file.path} was not deleted`).toBeDefined();
      const late = (at ?? 0) - (ms(file.closeTime) + TTL_MS);
      lateness.push(late);
      expect(Math.abs(late)).toBeLessThanOrEqual(TOLERANCE_MS);
    }
    const expireAt = ms(expired?.stopTime) + EXPIRE_MS;
    for (const file of expired?.files ?? []) {
      const late = (gone.get(file.path) ?? 0) - expireAt;
      lateness.push(late);
      expect(Math.abs(late)).toBeLessThanOrEqual(TOLERANCE_MS);
    }
    // jsonTTL does not touch packet files.
    for (const file of keptFiles) expect(existsSync(file.path)).toBe(true);

    const afterTtl = await get(ttlId);
    for (const file of afterTtl.files) {
      expect(file.deletedReason).toBe('TTL');
      expect(ms(file.deletedTime)).toBeGreaterThan(0);
    }
    expect(afterTtl.expired).toBe(false);
    const afterExpire = await get(expireId);
    expect(afterExpire.expired).toBe(true);
    expect(ms(afterExpire.expireTime)).toBe(expireAt);
    for (const file of afterExpire.files) expect(file.deletedReason).toBe('Expired');
    const runDir = path.dirname(expired?.files[0]?.path ?? '/nonexistent/x');
    expect(existsSync(runDir)).toBe(false);
    // The stats of an expired run stay as they were.
    expect(Number(afterExpire.stats?.packetsCaptured)).toBe(Number(expired?.stats?.packetsCaptured));
    const kept = await get(recordTtlId);
    expect(kept.files.every((f) => f.deletedReason === '')).toBe(true);
    process.stderr.write(
      `agent-retention: ${ttlFiles.length} TTL files and ${expired?.files.length} expired files deleted ` +
        `${Math.min(...lateness)}..${Math.max(...lateness)} ms from their deadlines; ${keptFiles.length} jsonTTL files kept\n`,
    );
  }, 60_000);
});
