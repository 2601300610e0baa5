import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordRequest } from '../../proto/generated/recorder/RecordRequest.js';
import type { RecordResponse__Output } from '../../proto/generated/recorder/RecordResponse.js';
import type { RecorderClient } from '../../proto/generated/recorder/Recorder.js';
import { loadRecorderProto } from '../../proto/load.js';
import { managerWithFakes, type FakeCapture } from '../session/fakes.js';
import type { SessionManager } from '../session/session-manager.js';
import { startAgentServer, type AgentServer } from './grpc-server.js';
import { LeaderFence, memoryEpochStore } from './leader-fence.js';

const start: RecordRequest = {
  start: {
    include: [{ sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0', protocol: 'PROTOCOL_UDP' }],
    stopCondition: { packetsCapturedCount: 10, timeElapsed: { seconds: 0 } },
  },
};

interface Outcome {
  responses: RecordResponse__Output[];
  error?: ServiceError;
}

describe('recorder.Recorder/Record', () => {
  let dataDir = '';
  let captures: FakeCapture[];
  let manager: SessionManager;
  let server: AgentServer;
  let client: RecorderClient;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tapedeck-recorder-'));
    ({ manager, captures } = managerWithFakes({ dataDir, maxConcurrentSessions: 1 }));
    server = await startAgentServer({
      listen: '127.0.0.1:0',
      tls: undefined,
      manager,
      buildFilter: () => 'udp',
      hubbleInterface: 'any',
      logger: pino({ level: 'silent' }),
      fence: new LeaderFence(memoryEpochStore(), pino({ level: 'silent' })),
    });
    client = new (loadRecorderProto().recorder.Recorder)(`127.0.0.1:${server.port}`, credentials.createInsecure());
  });

  afterEach(async () => {
    client.close();
    await manager.shutdown();
    await server.shutdown(1000);
    await rm(dataDir, { recursive: true, force: true });
  });

  function record(requests: RecordRequest[], onRunning?: () => void): Promise<Outcome> {
    return new Promise((resolve) => {
      const responses: RecordResponse__Output[] = [];
      const call = client.Record();
      call.on('data', (response: RecordResponse__Output) => {
        responses.push(response);
        if (response.responseType === 'running' && responses.length === 1) onRunning?.();
      });
      call.on('error', (error: ServiceError) => resolve({ responses, error }));
      call.on('end', () => resolve({ responses }));
      for (const request of requests) call.write(request);
    });
  }

  it('should answer `running` then exactly one `stopped` with the packet limit and end the stream', async () => {
    const outcome = await record([start], () => captures[0]!.emit(Array.from({ length: 25 }, () => 60)));
    expect(outcome.error).toBeUndefined();
    expect(outcome.responses.map((r) => r.responseType)).toEqual(['running', 'stopped']);
    const stopped = outcome.responses[1]!;
    expect(stopped.nodeName).toBe('node-a');
    expect(stopped.stopped?.stats).toEqual({ packetsCaptured: 10, bytesCaptured: 600, packetsLost: 0, bytesLost: 0 });
    expect(stopped.stopped?.filesink?.filePath).toBe(path.join(dataDir, 'hubble', 'hubble.pcap'));
  });

  it('should stop on `stop` and report what was captured', async () => {
    const call = client.Record();
    const responses: RecordResponse__Output[] = [];
    const ended = new Promise<void>((resolve) => call.on('end', resolve));
    call.on('data', (response: RecordResponse__Output) => {
      responses.push(response);
      if (responses.length === 1) {
        captures[0]!.emit([100, 100, 100]);
        call.write({ stop: {} });
      }
    });
    call.write({ start: { ...start.start, stopCondition: {} } });
    await ended;
    expect(responses.at(-1)?.stopped?.stats?.packetsCaptured).toBe(3);
  });

  it.each([
    { name: 'a second start', requests: [start, start], code: status.FAILED_PRECONDITION, message: 'start: ' },
    { name: 'stop first', requests: [{ stop: {} }], code: status.FAILED_PRECONDITION, message: 'stop: ' },
    { name: 'an empty request', requests: [{}], code: status.INVALID_ARGUMENT, message: 'request_type: ' },
  ])('should end the stream with an error on $name', async ({ requests, code, message }) => {
    const outcome = await record(requests);
    expect(outcome.error?.code).toBe(code);
    expect(outcome.error?.details).toContain(message);
  });

  it('should answer RESOURCE_EXHAUSTED beyond the session limit and serve again afterwards', async () => {
    const first = client.Record();
    const running = new Promise<void>((resolve) => first.once('data', () => resolve()));
    first.on('error', () => undefined);
    first.write({ start: { ...start.start, stopCondition: {} } });
    await running;
    const outcome = await record([start]);
    expect(outcome.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    first.cancel();
    await manager.get(manager.list()[0]!.id).done();
    const again = await record([start], () => captures.at(-1)!.emit(Array.from({ length: 10 }, () => 1)));
    expect(again.responses.at(-1)?.responseType).toBe('stopped');
  });
});
