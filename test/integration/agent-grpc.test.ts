// The real tapedeck-agent binary with mTLS, driven over gRPC as a Hubble
// client (recorder.Recorder) and as the operator (AgentService) would.
import { status, type ServiceError } from '@grpc/grpc-js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import { record, unary } from './agent-clients.js';
import { hubbleStart, PORT_X, PORT_Y, sessionSpec, startTestAgent, type TestAgent } from './agent-harness.js';
import { tsharkCount, udpFlood } from './agent-traffic.js';

describe('tapedeck-agent gRPC', () => {
  let t: TestAgent;

  beforeAll(async () => {
    t = await startTestAgent(['--max-sessions', '2']);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('should record exactly the packet limit as a Hubble client and report it in `stopped`', async () => {
    const flood = udpFlood([
      { host: '127.0.0.1', port: PORT_X },
      { host: '127.0.0.1', port: PORT_Y },
    ]);
    const outcome = await record(t.hubble, [hubbleStart()]).finally(() => flood.stop());
    expect(outcome.error).toBeUndefined();
    const last = outcome.responses.at(-1);
    expect(last?.responseType).toBe('stopped');
    expect(last?.nodeName).toBe('node-a');
    expect(outcome.responses.slice(0, -1).every((r) => r.responseType === 'running')).toBe(true);
    const stats = last?.stopped?.stats;
    expect(stats?.packetsCaptured).toBe(50);
    expect(stats?.bytesCaptured).toBeGreaterThan(50 * 32);
    const file = last?.stopped?.filesink?.filePath ?? '';
    expect(path.basename(file)).toMatch(/^itest_\d+_[0-9a-f]{8}_node-a_000000\.pcap$/);
    expect(file.startsWith(path.join(t.dataDir))).toBe(true);
    expect(await tsharkCount(file)).toBe(50);
    expect(await tsharkCount(file, `udp.dstport == ${PORT_X}`)).toBe(50);
  });

  it('should send `running` statistics until `stop`, then `stopped`, then end the stream', async () => {
    const flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }], 1, 20);
    let running = 0;
    const outcome = await record(t.hubble, [hubbleStart({ stopCondition: { timeElapsed: { seconds: 0 } } })], {
      onResponse: (response, call) => {
        if (response.responseType === 'running' && ++running === 3) call.write({ stop: {} });
      },
    }).finally(() => flood.stop());
    expect(outcome.error).toBeUndefined();
    expect(running).toBeGreaterThanOrEqual(3);
    const stopped = outcome.responses.at(-1)?.stopped;
    expect(stopped?.stats?.packetsCaptured).toBeGreaterThan(0);
    expect(await tsharkCount(stopped?.filesink?.filePath ?? '')).toBe(stopped?.stats?.packetsCaptured);
  });

  it('should stop on time_elapsed', async () => {
    const outcome = await record(t.hubble, [hubbleStart({ stopCondition: { timeElapsed: { seconds: 1 } } })]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.responses.at(-1)?.responseType).toBe('stopped');
  });

  it('should stop the recording when the client goes away', async () => {
    await record(t.hubble, [hubbleStart({ stopCondition: {} })], {
      onResponse: (_response, call) => call.cancel(),
    });
    const deadline = Date.now() + 10_000;
    let sessions: Session__Output[] = [];
    while (Date.now() < deadline) {
      const list = await unary(t.api.ListSessions.bind(t.api), {});
      sessions = list.sessions.filter((s) => s.id.startsWith('hubble-') && s.state === 'SESSION_STATE_RUNNING');
      if (sessions.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sessions).toEqual([]);
  });

  it('should run a session, return it again on a retried start, and list its closed files', async () => {
    const first = await t.start(sessionSpec('uid-1'));
    const again = await t.start(sessionSpec('uid-1'));
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.session?.id).toBe('uid-1-1');
    const flood = udpFlood(
      [
        { host: '127.0.0.1', port: PORT_X },
        { host: '127.0.0.1', port: PORT_Y },
      ],
      10,
      10,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    flood.stop();
    const final = await t.stop('uid-1-1');
    expect(final.state).toBe('SESSION_STATE_STOPPED');
    expect(final.stopReason).toBe('STOP_REASON_STOPPED');
    expect(final.stats?.packetsCaptured).toBeGreaterThan(0);
    expect(final.files.map((f) => f.format).sort()).toEqual(['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_PCAPNG']);
    for (const file of final.files) {
      expect(file.closed).toBe(true);
      // Not exported, so not hashed: the export hashes what it uploads, nothing else reads files back.
      expect(file.sha256).toBe('');
      expect(file.path.startsWith(path.join(t.dataDir, 'recordings', 'shop', 'checkout', '1'))).toBe(true);
      expect(await tsharkCount(file.path, `udp.dstport == ${PORT_X}`)).toBe(final.stats?.packetsCaptured);
      expect(await tsharkCount(file.path)).toBe(final.stats?.packetsCaptured);
    }
    const list = await unary(t.api.ListSessions.bind(t.api), { recordingUid: 'uid-1' });
    expect(list.nodeName).toBe('node-a');
    expect(list.sessions.map((s) => s.id)).toEqual(['uid-1-1']);
  });

  it('should refuse sessions beyond --max-sessions with RESOURCE_EXHAUSTED', async () => {
    await t.start(sessionSpec('uid-2'));
    await t.start(sessionSpec('uid-3'));
    const error = await t.start(sessionSpec('uid-4')).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error?.details).toContain('maxConcurrentSessions (2)');
    await t.stop('uid-2-1');
    await t.stop('uid-3-1');
  });

  it('should finalise every open file, pause sessions, send Hubble clients `stopped` and exit 0 on SIGTERM', async () => {
    const running = await t.start(sessionSpec('uid-term'));
    let hubbleRunning: () => void = () => undefined;
    const hubbleStarted = new Promise<void>((resolve) => (hubbleRunning = resolve));
    const hubbleOutcome = record(t.hubble, [hubbleStart({ stopCondition: {} })], { onResponse: () => hubbleRunning() });
    await hubbleStarted;
    const flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }], 10, 10);
    await new Promise((resolve) => setTimeout(resolve, 500));
    flood.stop();
    const code = await t.agent.stop('SIGTERM');
    expect(code).toBe(0);
    const outcome = await hubbleOutcome;
    expect(outcome.error).toBeUndefined();
    const hubbleFile = outcome.responses.at(-1)?.stopped?.filesink?.filePath ?? '';
    expect(await tsharkCount(hubbleFile)).toBe(outcome.responses.at(-1)?.stopped?.stats?.packetsCaptured);
    // A Recording's session is paused (the next agent resumes it), the Hubble stream ends.
    const stopped = t.agent.logs.find((l) => l.msg === 'Paused capture' && l.session === running.session?.id);
    expect(stopped?.reason).toBe('Shutdown');
    const packets = Number(stopped?.packetsCaptured);
    expect(packets).toBeGreaterThan(0);
    const files = stopped?.files as string[];
    expect(files).toHaveLength(2);
    for (const file of files) expect(await tsharkCount(file)).toBe(packets);
  });
});
