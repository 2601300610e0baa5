// Resume after an agent restart, on the real state store and real pcap
// writers (the capture and the clock are fakes): a crashed or paused session
// continues as its next segment with a gap, counting its stop conditions
// across segments; one whose window ended while the agent was away does not.
import { existsSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecordWriter, PacketFileFormat } from '../output/create-record-writer.js';
import { StateStore } from '../state/state-store.js';
import { FakeCapture, FakeClock } from './fakes.js';
import { SessionManager } from './session-manager.js';
import { GapReason } from './session-recovery.js';
import { SessionState } from './session-snapshot.js';
import type { SessionSpec } from './session-spec.js';
import { NO_LIMITS, StopReason } from './stop-condition.js';

const START = 1_700_000_000_000;

function spec(overrides: Partial<SessionSpec> = {}): SessionSpec {
  return {
    id: 'uid-1-1',
    recording: { namespace: 'shop', name: 'checkout', uid: 'uid-1', iteration: 1 },
    interfaces: ['eth0'],
    include: [],
    bpf: '',
    endpointIps: [],
    filter: 'udp',
    snaplen: 0,
    limits: NO_LIMITS,
    formats: ['pcap', 'pcapng'],
    rotation: { maxFileBytes: 0, maxFileAgeMs: 0 },
    filePrefix: 'tapedeck',
    labels: {},
    ...overrides,
  };
}

/** One agent process: a manager on the data directory's state store. */
function agent(dataDir: string, clock: FakeClock) {
  const store = StateStore.open(path.join(dataDir, 'state'));
  const captures: FakeCapture[] = [];
  const manager = new SessionManager({
    nodeName: 'node-a',
    dataDir,
    maxConcurrentSessions: 4,
    logger: pino({ level: 'silent' }),
    ports: {
      clock,
      journal: store,
      openCapture: (options) => {
        const capture = new FakeCapture(options);
        captures.push(capture);
        return capture;
      },
      createWriter: (options) => {
        const format = options.format === 'pcapng' ? PacketFileFormat.Pcapng : PacketFileFormat.Pcap;
        return createRecordWriter({ ...options, format, clock, sha256: false });
      },
    },
  });
  return { store, manager, captures };
}

/** Lets the thread pool finish the queued writes (a crash after them keeps them on disk). */
/** -1 while the file is not (yet) at its path: writers rename a file when it closes. */
function sizeOnDisk(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** Waits (bounded) until the thread pool has written what `done` checks. */
async function written(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('the write did not complete within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('session resume after an agent restart', () => {
  let dataDir = '';
  let clock: FakeClock;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tapedeck-resume-'));
    clock = new FakeClock(START);
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should resume a crashed session as segment 2 with a gap from its last heartbeat and count across segments', async () => {
    const first = agent(dataDir, clock);
    await first.manager.start(spec({ limits: { ...NO_LIMITS, packets: 100 } }));
    first.captures[0]!.emit(Array.from({ length: 60 }, () => 80));
    for (const step of [1000, 1000, 500]) clock.advance(step); // heartbeats at +1000 and +2000
    await written(() => {
      const files = first.manager.list()[0]?.files ?? [];
      return files.length === 2 && files.every((f) => f.packets === 60 && sizeOnDisk(f.path) >= f.bytes);
    });
    await settle();
    // kill -9 halfway through a write: the pcap file ends in a torn record.
    const torn = first.manager.list()[0]!.files.find((f) => f.format === 'pcap')!;
    truncateSync(torn.path, statSync(torn.path).size - 10);
    writeFileSync(path.join(path.dirname(torn.path), '.tapedeck_x.pcap.partial'), 'half');
    first.store.close();

    // The dead agent's timers never fire again: the new process has a clock of its own.
    const later = new FakeClock(clock.now() + 4000);
    const second = agent(dataDir, later);
    expect(await second.manager.recover()).toEqual({ resumed: 1, stopped: 0, failed: 0 });
    const resumed = second.manager.get('uid-1-1');
    const snapshot = resumed.snapshot();
    expect(snapshot.state).toBe(SessionState.Running);
    expect(snapshot.segment).toBe(2);
    expect(snapshot.startTime.getTime()).toBe(START);
    expect(snapshot.gaps).toEqual([
      { from: new Date(START + 2000), to: new Date(START + 6500), reason: GapReason.Crash },
    ]);
    // The repaired pcap file keeps its 59 whole packets; both files of segment 1 are listed and closed.
    const before = snapshot.files.filter((f) => f.segment === 1).sort((a, b) => a.format.localeCompare(b.format));
    expect(before.map((f) => [f.format, f.packets, f.closed])).toEqual([
      ['pcap', 59, true],
      ['pcapng', 60, true],
    ]);
    for (const file of before) expect(file.sha256).toBe('');
    expect(existsSync(path.join(path.dirname(torn.path), '.tapedeck_x.pcap.partial'))).toBe(false);
    expect(snapshot.stats.packetsCaptured).toBe(59);

    // The packet limit counts what segment 1 wrote (its first format's files): 41 more stop it.
    second.captures[0]!.emit(Array.from({ length: 60 }, () => 80));
    const final = await resumed.done();
    expect(final.stopReason).toBe(StopReason.PacketLimit);
    expect(final.stats.packetsCaptured).toBe(100);
    expect(final.files.filter((f) => f.segment === 2 && f.format === 'pcap').map((f) => f.packets)).toEqual([41]);
    second.store.close();
  });

  it('should pause on shutdown and resume with a gap from the pause, timeElapsed running from the first start', async () => {
    const first = agent(dataDir, clock);
    await first.manager.start(spec({ limits: { ...NO_LIMITS, timeElapsedMs: 10_000 } }));
    first.captures[0]!.emit([100, 100]);
    clock.advance(4000);
    const [paused] = await first.manager.shutdown();
    expect(paused?.stopReason).toBe(StopReason.Shutdown);
    expect(first.store.session('uid-1-1')?.state).toBe('Paused');
    first.store.close();

    const later = new FakeClock(clock.now() + 3000);
    const second = agent(dataDir, later);
    await second.manager.recover();
    const session = second.manager.get('uid-1-1');
    expect(session.snapshot().gaps).toEqual([
      { from: new Date(START + 4000), to: new Date(START + 7000), reason: GapReason.Shutdown },
    ]);
    later.advance(2999);
    expect(session.isActive()).toBe(true);
    later.advance(1);
    const final = await session.done();
    expect(final.stopReason).toBe(StopReason.TimeElapsed);
    expect(final.stats.packetsCaptured).toBe(2);
    second.store.close();
  });

  it.each([
    ['its window ended', spec({ windowEndMs: START + 5000 }), StopReason.Duration],
    ['it was a Hubble stream', { ...spec(), id: 'hubble-0a0b0c0d0e0f', recording: undefined }, StopReason.Shutdown],
  ])('should list but not resume a session when %s while the agent was away', async (_name, given, reason) => {
    const first = agent(dataDir, clock);
    await first.manager.start(given as SessionSpec);
    first.captures[0]!.emit([100]);
    clock.advance(1000);
    await written(() => {
      const files = first.manager.list()[0]?.files ?? [];
      return files.length > 0 && files.every((f) => f.packets === 1 && sizeOnDisk(f.path) >= f.bytes);
    });
    await settle();
    first.store.close();

    const second = agent(dataDir, new FakeClock(clock.now() + 9000));
    expect(await second.manager.recover()).toEqual({ resumed: 0, stopped: 1, failed: 0 });
    expect(second.captures).toHaveLength(0);
    const [listed] = second.manager.list();
    expect(listed?.state).toBe(SessionState.Stopped);
    expect(listed?.stopReason).toBe(reason);
    expect(listed?.stats.packetsCaptured).toBe(1);
    expect(listed?.files.every((f) => f.closed)).toBe(true);
    second.store.close();
  });
});
