// One real tapedeck-agent on loopback with mTLS plus the clients and request
// builders the agent integration tests share.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Filter } from '../../proto/generated/recorder/Filter.js';
import type { RecordRequest } from '../../proto/generated/recorder/RecordRequest.js';
import type { RecorderClient } from '../../proto/generated/recorder/Recorder.js';
import type { AgentServiceClient } from '../../proto/generated/tapedeck/agent/v1/AgentService.js';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import type { SessionSpec } from '../../proto/generated/tapedeck/agent/v1/SessionSpec.js';
import type { StartSessionResponse__Output } from '../../proto/generated/tapedeck/agent/v1/StartSessionResponse.js';
import { agentClient, channelCredentials, recorderClient, unary } from './agent-clients.js';
import { clientPem, makePki, type Pki } from './agent-pki.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';

/** UDP ports the loopback tests send to: X is recorded, Y is not. */
export const PORT_X = 40_000 + (process.pid % 10_000);
export const PORT_Y = PORT_X + 1;

export interface TestAgent {
  readonly dir: string;
  readonly dataDir: string;
  readonly pki: Pki;
  /** The running agent process (a new one after restart()). */
  readonly agent: AgentProcess;
  readonly address: string;
  readonly hubble: RecorderClient;
  readonly api: AgentServiceClient;
  /**
   * Ends the agent process with `signal` (SIGKILL = a crash) and starts a new one on the same
   * data directory and address; resolves with the old process's exit code once the new one serves.
   */
  restart(signal: NodeJS.Signals): Promise<number | null>;
  start(spec: SessionSpec): Promise<StartSessionResponse__Output>;
  stop(id: string): Promise<Session__Output>;
  close(): Promise<void>;
}

/** Starts the agent (node "node-a", Hubble recordings on lo); fails without root. */
export async function startTestAgent(
  extraArgs: readonly string[] = [],
  options: { beforeStart?: (dataDir: string) => Promise<void> } = {},
): Promise<TestAgent> {
  if (process.getuid?.() !== 0) throw new Error('capture tests need root (CAP_NET_RAW)');
  const dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-agent-'));
  const dataDir = path.join(dir, 'data');
  const pki = await makePki(dir);
  await options.beforeStart?.(dataDir);
  const tls = ['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.caCert];
  const args = (listen: string): string[] =>
    ['--node-name', 'node-a', '--listen', listen, '--data-dir', dataDir, ...tls]
      .concat(['--hubble-interface', 'lo', '--log-level', 'debug'])
      .concat(extraArgs);
  let agent = await startAgentProcess({ args: args('127.0.0.1:0') });
  const address = `127.0.0.1:${agent.port}`;
  const creds = channelCredentials(await clientPem(pki));
  const hubble = recorderClient(address, creds);
  const api = agentClient(address, creds);
  return {
    dir,
    dataDir,
    pki,
    get agent() {
      return agent;
    },
    async restart(signal) {
      const code = await agent.stop(signal);
      agent = await startAgentProcess({ args: args(address) });
      return code;
    },
    address,
    hubble,
    api,
    start: (spec) => unary(api.StartSession.bind(api), { spec }),
    stop: (id) => unary(api.StopSession.bind(api), { id }),
    async close() {
      hubble.close();
      api.close();
      await agent.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A Hubble start: UDP from 127.0.0.1 to PORT_X, 50 packets, unless overridden. */
export function hubbleStart(
  overrides: Record<string, unknown> = {},
  include: Record<string, unknown>[] = [],
): RecordRequest {
  const udpToX = {
    sourceCidr: '127.0.0.1/32',
    destinationCidr: '127.0.0.0/8',
    destinationPort: PORT_X,
    protocol: 'PROTOCOL_UDP',
  };
  return {
    start: {
      filesink: { filePrefix: 'itest' },
      include: (include.length ? include : [udpToX]) as Filter[],
      stopCondition: { packetsCapturedCount: 50, timeElapsed: { seconds: 0 } },
      ...overrides,
    },
  };
}

/** A session of Recording shop/checkout (uid, iteration 1) on lo: UDP to PORT_X, pcap + pcapng. */
export function sessionSpec(uid: string, overrides: Partial<SessionSpec> = {}): SessionSpec {
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
