// The real tapedeck-agent binary with mTLS, driven over gRPC as a Hubble
// client (recorder.Recorder) and as the operator (AgentService) would.
import { status, type ServiceError } from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordRequest } from '../../proto/generated/recorder/RecordRequest.js';
import type { RecorderClient } from '../../proto/generated/recorder/Recorder.js';
import type { AgentServiceClient } from '../../proto/generated/tapedeck/agent/v1/AgentService.js';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import type { SessionSpec } from '../../proto/generated/tapedeck/agent/v1/SessionSpec.js';
import type { StartSessionResponse__Output } from '../../proto/generated/tapedeck/agent/v1/StartSessionResponse.js';
import { agentClient, channelCredentials, record, recorderClient, unary } from './agent-clients.js';
import { clientPem, makePki, type Pki } from './agent-pki.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';
import { sha256sum, tsharkCount, udpFlood } from './agent-traffic.js';

const PORT_X = 40_000 + (process.pid % 10_000);
const PORT_Y = PORT_X + 1;

function hubbleStart(overrides: Record<string, unknown> = {}, include: Record<string, unknown>[] = []): RecordRequest {
  return {
    start: {
      filesink: { filePrefix: 'itest' },
      include: include.length
        ? include
        : [
            {
              sourceCidr: '127.0.0.1/32',
              destinationCidr: '127.0.0.0/8',
              destinationPort: PORT_X,
              protocol: 'PROTOCOL_UDP',
            },
          ],
      stopCondition: { packetsCapturedCount: 50, timeElapsed: { seconds: 0 } },
      ...overrides,
    },
  };
}

function sessionSpec(uid: string, overrides: Partial<SessionSpec> = {}): SessionSpec {
  return {
    recording: { namespace: 'shop', name: 'checkout', uid, iteration: 1 },
    interfaces: ['lo'],
    filter: {
      include: [{ destinationCidr: '127.0.0.0/8', destinationPort: PORT_X, protocol: 'PROTOCOL_UDP' }],
      bpf: 'udp',
    },
    output: { formats: ['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_PCAPNG'] },
    ...overrides,
  };
}

describe('tapedeck-agent gRPC', () => {
  let dir = '';
  let pki: Pki;
  let agent: AgentProcess;
  let address = '';
  let hubble: RecorderClient;
  let api: AgentServiceClient;

  const start = (spec: SessionSpec): Promise<StartSessionResponse__Output> =>
    unary(api.StartSession.bind(api), { spec });
  const stop = (id: string): Promise<Session__Output> => unary(api.StopSession.bind(api), { id });

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('capture tests need root (CAP_NET_RAW)');
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-agent-'));
    pki = await makePki(dir);
    agent = await startAgentProcess({
      args: [
        '--node-name',
        'node-a',
        '--listen',
        '127.0.0.1:0',
        '--data-dir',
        path.join(dir, 'data'),
        '--tls-cert',
        pki.serverCert,
        '--tls-key',
        pki.serverKey,
        '--tls-ca',
        pki.caCert,
        '--hubble-interface',
        'lo',
        '--max-sessions',
        '2',
        '--log-level',
        'debug',
      ],
    });
    address = `127.0.0.1:${agent.port}`;
    const creds = channelCredentials(await clientPem(pki));
    hubble = recorderClient(address, creds);
    api = agentClient(address, creds);
  });

  afterAll(async () => {
    hubble?.close();
    api?.close();
    await agent?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should record exactly the packet limit as a Hubble client and report it in `stopped`', async () => {
    const flood = udpFlood([
      { host: '127.0.0.1', port: PORT_X },
      { host: '127.0.0.1', port: PORT_Y },
    ]);
    const outcome = await record(hubble, [hubbleStart()]).finally(() => flood.stop());
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
    expect(file.startsWith(path.join(dir, 'data'))).toBe(true);
    expect(await tsharkCount(file)).toBe(50);
    expect(await tsharkCount(file, `udp.dstport == ${PORT_X}`)).toBe(50);
  });

  it('should send `running` statistics until `stop`, then `stopped`, then end the stream', async () => {
    const flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }], 1, 20);
    let running = 0;
    const outcome = await record(hubble, [hubbleStart({ stopCondition: { timeElapsed: { seconds: 0 } } })], {
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
    const outcome = await record(hubble, [hubbleStart({ stopCondition: { timeElapsed: { seconds: 1 } } })]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.responses.at(-1)?.responseType).toBe('stopped');
  });

  it('should stop the recording when the client goes away', async () => {
    await record(hubble, [hubbleStart({ stopCondition: {} })], {
      onResponse: (_response, call) => call.cancel(),
    });
    const deadline = Date.now() + 10_000;
    let sessions: Session__Output[] = [];
    while (Date.now() < deadline) {
      const list = await unary(api.ListSessions.bind(api), {});
      sessions = list.sessions.filter((s) => s.id.startsWith('hubble-') && s.state === 'SESSION_STATE_RUNNING');
      if (sessions.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sessions).toEqual([]);
  });

  const longPrefix = 'x'.repeat(2 * 1024 * 1024);
  it.each([
    {
      name: 'bad CIDR',
      request: hubbleStart({}, [{ sourceCidr: '10.0.0.0/33', destinationCidr: '0.0.0.0/0' }]),
      code: status.INVALID_ARGUMENT,
      message: 'include[0].source_cidr',
    },
    {
      name: 'empty CIDR',
      request: hubbleStart({}, [{ sourceCidr: '', destinationCidr: '0.0.0.0/0' }]),
      code: status.INVALID_ARGUMENT,
      message: 'include[0].source_cidr',
    },
    {
      name: 'port 70000',
      request: hubbleStart({}, [{ sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0', destinationPort: 70_000 }]),
      code: status.INVALID_ARGUMENT,
      message: 'include[0].destination_port',
    },
    {
      name: 'unknown protocol',
      request: hubbleStart({}, [{ sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0', protocol: 99 }]),
      code: status.INVALID_ARGUMENT,
      message: 'include[0].protocol',
    },
    {
      name: 'mixed address families',
      request: hubbleStart({}, [{ sourceCidr: '0.0.0.0/0', destinationCidr: '::/0' }]),
      code: status.INVALID_ARGUMENT,
      message: 'destinationCIDR',
    },
    {
      name: 'file prefix ../x',
      request: hubbleStart({ filesink: { filePrefix: '../x' } }),
      code: status.INVALID_ARGUMENT,
      message: 'filesink.file_prefix',
    },
    {
      name: 'oversized snaplen',
      request: hubbleStart({ maxCaptureLength: 1_000_000_000 }),
      code: status.INVALID_ARGUMENT,
      message: 'max_capture_length',
    },
    {
      name: 'oversized time_elapsed',
      request: hubbleStart({ stopCondition: { timeElapsed: { seconds: 10 ** 12 } } }),
      code: status.INVALID_ARGUMENT,
      message: 'stop_condition.time_elapsed',
    },
    {
      name: 'too many filters',
      request: hubbleStart(
        {},
        Array.from({ length: 65 }, () => ({ sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0' })),
      ),
      code: status.INVALID_ARGUMENT,
      message: 'include',
    },
    { name: 'no filter', request: { start: { include: [] } }, code: status.INVALID_ARGUMENT, message: 'include' },
    {
      name: 'oversized message',
      request: hubbleStart({ filesink: { filePrefix: longPrefix } }),
      code: status.RESOURCE_EXHAUSTED,
      message: '',
    },
    { name: 'stop before start', request: { stop: {} }, code: status.FAILED_PRECONDITION, message: 'stop' },
  ])('should refuse a Hubble request with $name', async ({ request, code, message }) => {
    const outcome = await record(hubble, [request as RecordRequest]);
    expect(outcome.error?.code, outcome.error?.details).toBe(code);
    expect(outcome.error?.details).toContain(message);
  });

  it('should refuse a second start on one stream', async () => {
    const outcome = await record(hubble, [hubbleStart({ stopCondition: {} }), hubbleStart()]);
    expect(outcome.error?.code).toBe(status.FAILED_PRECONDITION);
    expect(outcome.error?.details).toContain('start: a recording is already running');
  });

  const canary = path.join(tmpdir(), `tapedeck-canary-${process.pid}`);
  it.each([
    {
      name: 'BPF syntax error',
      spec: { filter: { bpf: 'udp and and' } },
      code: status.INVALID_ARGUMENT,
      message: 'bpf',
    },
    {
      name: 'BPF with ;',
      spec: { filter: { bpf: `udp; touch ${canary}` } },
      code: status.INVALID_ARGUMENT,
      message: 'bpf',
    },
    {
      name: 'BPF with $()',
      spec: { filter: { bpf: `udp and $(touch ${canary})` } },
      code: status.INVALID_ARGUMENT,
      message: 'bpf',
    },
    {
      name: 'BPF with backticks and pipes',
      spec: { filter: { bpf: `\`touch ${canary}\` | sh` } },
      code: status.INVALID_ARGUMENT,
      message: 'bpf',
    },
    {
      name: 'BPF that is a flag',
      spec: { filter: { bpf: `-w ${canary}` } },
      code: status.INVALID_ARGUMENT,
      message: 'spec.filter.bpf',
    },
    {
      name: 'bad CIDR',
      spec: { filter: { include: [{ sourceCidr: '300.0.0.1/8' }] } },
      code: status.INVALID_ARGUMENT,
      message: 'spec.filter.include[0].sourceCIDR',
    },
    {
      name: 'port 70000',
      spec: { filter: { include: [{ sourcePort: 70_000 }] } },
      code: status.INVALID_ARGUMENT,
      message: 'spec.filter.include[0].sourcePort',
    },
    {
      name: 'file prefix ../x',
      spec: { filePrefix: '../x' },
      code: status.INVALID_ARGUMENT,
      message: 'spec.filePrefix',
    },
    {
      name: 'namespace ../etc',
      spec: { recording: { namespace: '../etc', name: 'r', uid: 'u', iteration: 1 } },
      code: status.INVALID_ARGUMENT,
      message: 'spec.recording.namespace',
    },
    {
      name: 'interface with shell syntax',
      spec: { interfaces: ['lo;reboot'] },
      code: status.INVALID_ARGUMENT,
      message: 'spec.interfaces[0]',
    },
    {
      name: 'missing interface',
      spec: { interfaces: ['td-nonexist0'] },
      code: status.FAILED_PRECONDITION,
      message: 'td-nonexist0',
    },
    {
      name: 'oversized packet count',
      spec: { stopCondition: { packetsCapturedCount: '18446744073709551615' } },
      code: status.INVALID_ARGUMENT,
      message: 'spec.stopCondition.packetsCapturedCount',
    },
    {
      name: 'tiny rotation size',
      spec: { output: { rotation: { maxFileBytes: 10 } } },
      code: status.INVALID_ARGUMENT,
      message: 'spec.output.rotation.maxFileBytes',
    },
    {
      name: 'json output',
      spec: { output: { formats: ['OUTPUT_FORMAT_JSON'] } },
      code: status.UNIMPLEMENTED,
      message: 'spec.output.formats[0]',
    },
    {
      name: 'duplicate output',
      spec: { output: { formats: ['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_PCAP'] } },
      code: status.INVALID_ARGUMENT,
      message: 'spec.output.formats[1]',
    },
  ])('should refuse a StartSession with $name', async ({ spec, code, message }) => {
    const error = await start(sessionSpec('bad', spec as Partial<SessionSpec>)).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(error?.code, error?.details).toBe(code);
    expect(error?.details).toContain(message);
    expect(existsSync(canary)).toBe(false);
  });

  it('should run a session, return it again on a retried start, and list its files with sha256', async () => {
    const first = await start(sessionSpec('uid-1'));
    const again = await start(sessionSpec('uid-1'));
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
    const final = await stop('uid-1-1');
    expect(final.state).toBe('SESSION_STATE_STOPPED');
    expect(final.stopReason).toBe('STOP_REASON_STOPPED');
    expect(final.stats?.packetsCaptured).toBeGreaterThan(0);
    expect(final.files.map((f) => f.format).sort()).toEqual(['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_PCAPNG']);
    for (const file of final.files) {
      expect(file.closed).toBe(true);
      expect(file.sha256).toBe(await sha256sum(file.path));
      expect(file.path.startsWith(path.join(dir, 'data', 'recordings', 'shop', 'checkout', '1'))).toBe(true);
      expect(await tsharkCount(file.path, `udp.dstport == ${PORT_X}`)).toBe(final.stats?.packetsCaptured);
      expect(await tsharkCount(file.path)).toBe(final.stats?.packetsCaptured);
    }
    const list = await unary(api.ListSessions.bind(api), { recordingUid: 'uid-1' });
    expect(list.nodeName).toBe('node-a');
    expect(list.sessions.map((s) => s.id)).toEqual(['uid-1-1']);
  });

  it('should refuse sessions beyond --max-sessions with RESOURCE_EXHAUSTED', async () => {
    await start(sessionSpec('uid-2'));
    await start(sessionSpec('uid-3'));
    const error = await start(sessionSpec('uid-4')).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error?.details).toContain('maxConcurrentSessions (2)');
    await stop('uid-2-1');
    await stop('uid-3-1');
  });

  it.each([
    { name: 'without a client certificate', creds: async () => channelCredentials({ ca: (await clientPem(pki)).ca }) },
    {
      name: 'with a certificate of another CA',
      creds: async () => channelCredentials(await clientPem(pki, 'stranger')),
    },
    { name: 'in plaintext', creds: async () => channelCredentials('insecure') },
  ])('should reject a client $name and keep serving the others', async ({ creds }) => {
    const stranger = agentClient(address, await creds());
    const error = await unary(stranger.ListSessions.bind(stranger), {}).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    stranger.close();
    expect(error?.code).toBe(status.UNAVAILABLE);
    const outcome = await record(hubble, [hubbleStart({ stopCondition: { timeElapsed: { seconds: 1 } } })]);
    expect(outcome.responses.at(-1)?.responseType).toBe('stopped');
  });

  it('should finalise every open file and exit 0 on SIGTERM', async () => {
    const running = await start(sessionSpec('uid-term'));
    const flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }], 10, 10);
    await new Promise((resolve) => setTimeout(resolve, 500));
    flood.stop();
    const code = await agent.stop('SIGTERM');
    expect(code).toBe(0);
    const stopped = agent.logs.find((l) => l.msg === 'Stopped capture' && l.session === running.session?.id);
    expect(stopped?.reason).toBe('Shutdown');
    const packets = Number(stopped?.packetsCaptured);
    expect(packets).toBeGreaterThan(0);
    const files = stopped?.files as string[];
    expect(files).toHaveLength(2);
    for (const file of files) expect(await tsharkCount(file)).toBe(packets);
  });
});
