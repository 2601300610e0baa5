// Bad requests to the real tapedeck-agent: each gets a specific status code
// and a message naming the field, and the agent keeps serving everyone else.
import { status, type ServiceError } from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordRequest } from '../../proto/generated/recorder/RecordRequest.js';
import type { SessionSpec } from '../../proto/generated/tapedeck/agent/v1/SessionSpec.js';
import { agentClient, channelCredentials, record, unary } from './agent-clients.js';
import { clientPem } from './agent-pki.js';
import { hubbleStart, PORT_X, sessionSpec, startTestAgent, type TestAgent } from './agent-harness.js';
import { tsharkCount, udpFlood } from './agent-traffic.js';

describe('tapedeck-agent bad requests', () => {
  let t: TestAgent;

  beforeAll(async () => {
    t = await startTestAgent();
  });

  afterAll(async () => {
    await t?.close();
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
    const outcome = await record(t.hubble, [request as RecordRequest]);
    expect(outcome.error?.code, outcome.error?.details).toBe(code);
    expect(outcome.error?.details).toContain(message);
  });

  it('should refuse a second start on one stream', async () => {
    const outcome = await record(t.hubble, [hubbleStart({ stopCondition: {} }), hubbleStart()]);
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
      name: 'dnstap output',
      spec: { output: { formats: ['OUTPUT_FORMAT_DNSTAP'] } },
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
    const error = await t.start(sessionSpec('bad', spec as Partial<SessionSpec>)).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(error?.code, error?.details).toBe(code);
    expect(error?.details).toContain(message);
    expect(existsSync(canary)).toBe(false);
  });

  it.each([
    {
      name: 'without a client certificate',
      creds: async () => channelCredentials({ ca: (await clientPem(t.pki)).ca }),
    },
    {
      name: 'with a certificate of another CA',
      creds: async () => channelCredentials(await clientPem(t.pki, 'stranger')),
    },
    { name: 'in plaintext', creds: async () => channelCredentials('insecure') },
  ])('should reject a client $name and keep serving the others', async ({ creds }) => {
    const stranger = agentClient(t.address, await creds());
    const error = await unary(stranger.ListSessions.bind(stranger), {}).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    stranger.close();
    expect(error?.code).toBe(status.UNAVAILABLE);
    const outcome = await record(t.hubble, [hubbleStart({ stopCondition: { timeElapsed: { seconds: 1 } } })]);
    expect(outcome.responses.at(-1)?.responseType).toBe('stopped');
  });

  it('should still record after every refusal', async () => {
    const flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }]);
    const outcome = await record(t.hubble, [hubbleStart()]).finally(() => flood.stop());
    expect(outcome.error).toBeUndefined();
    const stopped = outcome.responses.at(-1)?.stopped;
    expect(stopped?.stats?.packetsCaptured).toBe(50);
    expect(await tsharkCount(stopped?.filesink?.filePath ?? '')).toBe(50);
  });
});
