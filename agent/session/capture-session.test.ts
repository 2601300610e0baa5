import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import { FakeClock, managerWithFakes, type FakeCapture, type FakeWriter } from './fakes.js';
import type { SessionManager } from './session-manager.js';
import { SessionState } from './session-snapshot.js';
import type { SessionSpec } from './session-spec.js';
import { NO_LIMITS, StopReason } from './stop-condition.js';

function spec(overrides: Partial<SessionSpec> = {}): SessionSpec {
  return {
    id: 'uid-1-1',
    recording: { namespace: 'shop', name: 'checkout', uid: 'uid-1', iteration: 1 },
    interfaces: ['lo'],
    include: [],
    bpf: '',
    endpointIps: [],
    filter: 'udp',
    snaplen: 0,
    limits: NO_LIMITS,
    formats: ['pcap'],
    rotation: { maxFileBytes: 0, maxFileAgeMs: 0 },
    filePrefix: 'tapedeck',
    labels: {},
    ...overrides,
  };
}

describe('CaptureSession', () => {
  let dataDir = '';
  let clock: FakeClock;
  let captures: FakeCapture[];
  let writers: FakeWriter[];
  let manager: SessionManager;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tapedeck-session-'));
    clock = new FakeClock();
    ({ manager, captures, writers } = managerWithFakes({ dataDir, maxConcurrentSessions: 2, clock }));
  });

  afterEach(async () => {
    await manager.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should write exactly N packets to every format with a packet limit of N', async () => {
    const { session } = await manager.start(
      spec({ limits: { ...NO_LIMITS, packets: 1000 }, formats: ['pcap', 'pcapng'] }),
    );
    const capture = captures[0]!;
    for (let i = 0; i < 7; i += 1) capture.emit(Array.from({ length: 300 }, () => 60));
    const final = await session.done();
    expect(final.state).toBe(SessionState.Stopped);
    expect(final.stopReason).toBe(StopReason.PacketLimit);
    expect(final.stats.packetsCaptured).toBe(1000);
    expect(final.stats.bytesCaptured).toBe(60_000);
    expect(capture.closed).toBe(true);
    expect(capture.released).toBe(7);
    for (const file of final.files) {
      const content = await readFile(file.path);
      expect(content.length).toBe(1000 * (RECORD_HEADER_BYTES + 60));
      expect(file.packets).toBe(1000);
      // Not exported: not hashed (the export hashes what it uploads).
      expect(file.sha256).toBe('');
      expect(file.path.startsWith(path.join(dataDir, 'recordings', 'shop', 'checkout', '1'))).toBe(true);
    }
  });

  it('should stop after the time limit and not before', async () => {
    const { session } = await manager.start(spec({ limits: { ...NO_LIMITS, timeElapsedMs: 5000 } }));
    clock.advance(4999);
    expect(session.snapshot().state).toBe(SessionState.Running);
    clock.advance(1);
    const final = await session.done();
    expect(final.stopReason).toBe(StopReason.TimeElapsed);
    expect(final.stopTime?.getTime()).toBe(clock.now());
  });

  it('should stop on the byte limit once at least that many bytes were captured', async () => {
    const { session } = await manager.start(spec({ limits: { ...NO_LIMITS, bytes: 250 } }));
    captures[0]!.emit([100, 100, 100, 100]);
    const final = await session.done();
    expect(final.stopReason).toBe(StopReason.ByteLimit);
    expect(final.stats).toMatchObject({ packetsCaptured: 3, bytesCaptured: 300 });
  });

  it('should count kernel and agent drops as lost', async () => {
    const { session } = await manager.start(spec());
    const capture = captures[0]!;
    capture.emit([100, 100]);
    capture.kernelDropped = 3;
    capture.agentDropped = 2;
    capture.agentDroppedBytes = 500;
    const final = await manager.stop(session.id);
    expect(final.stopReason).toBe(StopReason.Stopped);
    expect(final.stats).toEqual({ packetsCaptured: 2, bytesCaptured: 200, packetsLost: 5, bytesLost: 800 });
  });

  it('should fail the session and count the batch as lost when a writer fails', async () => {
    const { session } = await manager.start(spec());
    writers[0]!.failWith = new Error('disk on fire');
    captures[0]!.emit([10, 10]);
    const final = await session.done();
    expect(final.state).toBe(SessionState.Failed);
    expect(final.stopReason).toBe(StopReason.Error);
    expect(final.message).toContain('disk on fire');
    expect(final.stats.packetsLost).toBe(2);
  });

  it('should fail the session with the message when handling a batch throws, and release the batch', async () => {
    const { session } = await manager.start(spec());
    writers[0]!.throwWith = new Error('record 3 of 5 runs past the end of the batch buffer');
    captures[0]!.emit([10, 10]);
    const final = await session.done();
    expect(final.state).toBe(SessionState.Failed);
    expect(final.message).toBe('batch: record 3 of 5 runs past the end of the batch buffer');
    expect(captures[0]!.released).toBe(1);
  });

  it('should open a capture per interface: pcap a writer per interface, pcapng one for all', async () => {
    const { session } = await manager.start(spec({ interfaces: ['eth0', 'eth1'], formats: ['pcap', 'pcapng'] }));
    expect(captures.map((c) => c.options.interface)).toEqual(['eth0', 'eth1']);
    expect(writers.map((w) => [w.options.format, w.options.interfaces.map((i) => i.name)])).toEqual([
      ['pcap', ['eth0']],
      ['pcap', ['eth1']],
      ['pcapng', ['eth0', 'eth1']],
    ]);
    captures[0]!.emit([10, 10]);
    captures[1]!.emit([10, 10, 10]);
    const final = await session.stop(StopReason.Stopped);
    expect(final.stats.packetsCaptured).toBe(5);
    expect(final.files.map((f) => [f.format, f.interfaces, f.packets])).toEqual([
      ['pcap', ['eth0'], 2],
      ['pcap', ['eth1'], 3],
      ['pcapng', ['eth0', 'eth1'], 5],
    ]);
  });

  it('should fail the session, keeping what it wrote, when the capture ends on its own', async () => {
    const { session } = await manager.start(spec());
    captures[0]!.emit([10, 10, 10]);
    captures[0]!.fail(new Error('pcap_dispatch: The interface disappeared'));
    const final = await session.done();
    expect(final.state).toBe(SessionState.Failed);
    expect(final.stopReason).toBe(StopReason.Error);
    expect(final.message).toContain('interface disappeared');
    expect(final.stats.packetsCaptured).toBe(3);
    expect(captures[0]!.closed).toBe(true);
  });

  it('should return the existing session for a retried start', async () => {
    const first = await manager.start(spec());
    const second = await manager.start(spec());
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.session).toBe(first.session);
    expect(captures).toHaveLength(1);
  });

  it('should return the same session to concurrent starts of one id', async () => {
    const [a, b] = await Promise.all([manager.start(spec()), manager.start(spec())]);
    expect(a.session).toBe(b.session);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(captures).toHaveLength(1);
  });

  it('should reject the same id with a different spec', async () => {
    await manager.start(spec());
    await expect(manager.start(spec({ filter: 'tcp' }))).rejects.toMatchObject({ code: 'TD_ERR_SESSION_CONFLICT' });
  });

  it('should refuse sessions beyond maxConcurrentSessions and accept again after a stop', async () => {
    await manager.start(spec({ id: 'a' }));
    const { session } = await manager.start(spec({ id: 'b' }));
    await expect(manager.start(spec({ id: 'c' }))).rejects.toMatchObject({ code: 'TD_ERR_SESSION_LIMIT' });
    await manager.stop(session.id);
    await expect(manager.start(spec({ id: 'c' }))).resolves.toMatchObject({ created: true });
  });

  it('should stop every session on shutdown and refuse new ones', async () => {
    await manager.start(spec({ id: 'a' }));
    await manager.start(spec({ id: 'b' }));
    const final = await manager.shutdown();
    expect(final.map((s) => s.stopReason)).toEqual([StopReason.Shutdown, StopReason.Shutdown]);
    expect(final.every((s) => s.files.every((f) => f.closed))).toBe(true);
    await expect(manager.start(spec({ id: 'c' }))).rejects.toMatchObject({ code: 'TD_ERR_SESSION_SHUTDOWN' });
  });

  it('should list sessions of one recording', async () => {
    await manager.start(spec({ id: 'a', recording: { namespace: 'n', name: 'r', uid: 'u1', iteration: 1 } }));
    await manager.start(spec({ id: 'b', recording: { namespace: 'n', name: 'r', uid: 'u2', iteration: 1 } }));
    expect(manager.list('u2').map((s) => s.id)).toEqual(['b']);
    expect(manager.list().map((s) => s.id)).toEqual(['a', 'b']);
  });
});
