// The agent with exactly the privileges the chart gives it: the DaemonSet's securityContext (uid 0, every
// capability dropped but the ones it adds, no privilege escalation) turned into setpriv flags, the real
// agent in a simulated node (a network namespace) capturing on its veth, an exact packet limit that
// tshark confirms; and a clear failure once CAP_NET_RAW is gone too.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RecordRequest } from '../../proto/generated/recorder/RecordRequest.js';
import { createNetworkSet, type NetworkSet } from '../env/netns.js';
import { channelCredentials, record, recorderClient } from './agent-clients.js';
import { clientPem, makePki, type Pki } from './agent-pki.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';
import { netnsUdpSender, tsharkCount } from './agent-traffic.js';
import { helmRunner, renderChart } from './helm-fixtures.js';

const run = promisify(execFile);
const PORT = 5331;
const LIMIT = 700;

interface SecurityContext {
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  seccompProfile?: { type: string };
  capabilities?: { drop?: string[]; add?: string[] };
}

/** setpriv flags for a container's securityContext: the bounding set is what a uid-0 process gets. */
function setprivFor(context: SecurityContext, caps = context.capabilities?.add ?? []): string[] {
  if (context.runAsUser !== 0 || context.capabilities?.drop?.join() !== 'ALL')
    throw new Error('unexpected securityContext');
  const bounding = ['-all', ...caps.map((c) => `+${c.toLowerCase()}`)].join(',');
  return ['setpriv', `--bounding-set=${bounding}`, '--inh-caps=-all', '--ambient-caps=-all', '--no-new-privs', '--'];
}

/** The capability sets and no_new_privs of a running process, from /proc/<pid>/status. */
async function privileges(pid: number): Promise<Record<string, string>> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const wanted = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Uid'];
  return Object.fromEntries(
    status
      .split('\n')
      .map((line) => line.split(':\t'))
      .filter(([key]) => wanted.includes(key ?? ''))
      .map(([key, value]) => [key, (value ?? '').trim()]),
  );
}

const udpFrom = (source: string, packets: number): RecordRequest => ({
  start: {
    filesink: { filePrefix: 'privileges' },
    include: [
      { sourceCidr: `${source}/32`, destinationCidr: '0.0.0.0/0', destinationPort: PORT, protocol: 'PROTOCOL_UDP' },
    ],
    stopCondition: { packetsCapturedCount: packets, timeElapsed: { seconds: 0 } },
  },
});

describe('tapedeck-agent with the capabilities the chart grants', () => {
  let dir = '';
  let network: NetworkSet | undefined;
  let pki: Pki | undefined;
  let context: SecurityContext = {};
  const agents: AgentProcess[] = [];

  const startAgent = async (caps?: string[]): Promise<AgentProcess> => {
    const node = network!.members[0]!;
    const dataDir = path.join(dir, `data-${agents.length}`);
    const agent = await startAgentProcess({
      netns: node.netns,
      wrapper: setprivFor(context, caps),
      args: [
        ...['--node-name', 'node-a', '--listen', `${node.ip}:0`, '--data-dir', dataDir, '--hubble-interface', 'eth0'],
        ...['--tls-cert', pki!.serverCert, '--tls-key', pki!.serverKey, '--tls-ca', pki!.caCert],
      ],
    });
    agents.push(agent);
    return agent;
  };

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('these tests need root to drop privileges from (setpriv, ip netns)');
    const daemonSet = (await renderChart(await helmRunner('agent-privileges'))).find((m) => m.kind === 'DaemonSet');
    const spec = daemonSet?.spec as { template: { spec: { containers: { securityContext: SecurityContext }[] } } };
    context = spec.template.spec.containers[0]?.securityContext ?? {};
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-privileges-'));
    network = await createNetworkSet(inject('testEnv').runId, 2);
    pki = await makePki(dir);
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await network?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should run from a securityContext of uid 0, NET_RAW only, no escalation, read-only root, RuntimeDefault', () => {
    expect(context).toEqual({
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      seccompProfile: { type: 'RuntimeDefault' },
      capabilities: { drop: ['ALL'], add: ['NET_RAW'] },
    });
  });

  it('should capture exactly the packet limit on a veth with CAP_NET_RAW alone, tshark agreeing', async () => {
    const agent = await startAgent();
    // CAP_NET_RAW is bit 13: 0x2000, and nothing else in any set.
    expect(await privileges(agent.child.pid ?? 0)).toMatchObject({
      Uid: expect.stringMatching(/^0\s/) as string,
      CapInh: '0000000000000000',
      CapPrm: '0000000000002000',
      CapEff: '0000000000002000',
      CapBnd: '0000000000002000',
      CapAmb: '0000000000000000',
      NoNewPrivs: '1',
    });
    const [a, b] = [network!.members[0]!, network!.members[1]!];
    const client = recorderClient(`${a.ip}:${agent.port}`, channelCredentials(await clientPem(pki!)));
    let running: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (running = resolve));
    const outcome = record(client, [udpFrom(a.ip, LIMIT)], {
      onResponse: (r) => (r.responseType === 'running' ? running() : undefined),
    });
    await started;
    expect(await netnsUdpSender(a.netns, 3 * LIMIT, [`${b.ip}:${PORT}`])).toBe(0);
    const { error, responses } = await outcome;
    client.close();
    expect(error).toBeUndefined();
    const stopped = responses.at(-1)?.stopped;
    const file = stopped?.filesink?.filePath ?? '';
    expect(stopped?.stats?.packetsCaptured).toBe(LIMIT);
    expect(await tsharkCount(file)).toBe(LIMIT);
    expect(await tsharkCount(file, `ip.src == ${a.ip} && udp.dstport == ${PORT}`)).toBe(LIMIT);
    // Only the agent may read what it recorded.
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'data-0'))).mode & 0o777).toBe(0o700);
    const { stdout } = await run('find', [path.join(dir, 'data-0'), '-perm', '/077', '-printf', '%m %p\n']);
    expect(stdout).toBe('');
  });

  it('should fail the recording clearly without CAP_NET_RAW', async () => {
    const agent = await startAgent([]);
    expect((await privileges(agent.child.pid ?? 0)).CapEff).toBe('0000000000000000');
    const a = network!.members[0]!;
    const client = recorderClient(`${a.ip}:${agent.port}`, channelCredentials(await clientPem(pki!)));
    const { error } = await record(client, [udpFrom(a.ip, LIMIT)]);
    client.close();
    expect(error?.details).toMatch(/permission|not permitted/i);
    console.log(`Without CAP_NET_RAW: ${error?.code} ${error?.details}`);
  });
});
