// End to end, the chart's default identities: the tapedeck-operator binary with --issuer-* (an openssl EC
// CA as its mounted CA volume) fills the agents' empty Secret; real agents in network-namespace nodes start
// before their certificate exists and wait for it; the test copies the Secret into their volume as the
// kubelet would; then a Recording runs over mTLS between the issued identities.
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNodes, testEnv } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { makePki } from '../integration/agent-pki.js';
import { startAgentProcess, type AgentProcess } from '../integration/agent-process.js';
import { netnsUdpSender } from '../integration/agent-traffic.js';
import { OperatorHarness, waitFor } from '../integration/operator-harness.js';
import { registerAgentPod } from './operator-processes.js';

const PORT = 5461;
const LIMIT = 300;
const SECRET = 'tapedeck-agent-tls';
const h = new OperatorHarness();
let dir = '';
let sim: SimulatedNodes | undefined;
const agents: AgentProcess[] = [];
let operator: ChildProcess | undefined;
const operatorLines: Record<string, unknown>[] = [];
const volume = (): string => path.join(dir, 'agent-volume');

/** The kubelet's part: the Secret's keys as files in the agents' volume, each replaced by a rename. */
async function projectSecret(data: Record<string, string>): Promise<void> {
  await mkdir(volume(), { recursive: true });
  for (const key of ['ca.crt', 'tls.key', 'tls.crt']) {
    await writeFile(path.join(volume(), `${key}.new`), Buffer.from(data[key] ?? '', 'base64'), { mode: 0o400 });
    await rename(path.join(volume(), `${key}.new`), path.join(volume(), key));
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-identities-e2e-'));
  await h.setup([]);
  sim = await createTestNodes(2, { labels: () => ({ 'op-run': h.run }) });
  const pki = await makePki(dir);
  // As the chart creates it: empty until the operator fills it.
  await h.core.createNamespacedSecret({
    namespace: h.namespace,
    body: {
      metadata: { name: SECRET },
      type: 'kubernetes.io/tls',
      data: { 'ca.crt': '', 'tls.crt': '', 'tls.key': '' },
    },
  });
  // The agents start first (a DaemonSet does not wait for the operator) and wait for their files.
  const starting = sim.nodes.map((node) =>
    startAgentProcess({
      netns: node.netns,
      args: [
        ...['--node-name', node.name, '--listen', `${node.ip}:0`, '--data-dir', path.join(dir, node.name)],
        ...['--tls-cert', path.join(volume(), 'tls.crt'), '--tls-key', path.join(volume(), 'tls.key')],
        ...['--tls-ca', path.join(volume(), 'ca.crt')],
      ],
    }),
  );
  const main = fileURLToPath(new URL('../../operator/main.ts', import.meta.url));
  operator = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', main, '--kubeconfig', testEnv().kubeconfigPath, '--identity', 'issuer'],
      ...['--namespace', h.namespace, '--watch-namespace', h.namespace, '--agent-namespace', h.namespace],
      ...['--leader-elect', 'false', '--http-bind', '127.0.0.1:0'],
      ...['--issuer-ca-cert', pki.caCert, '--issuer-ca-key', path.join(dir, 'ca.key'), '--agent-secret', SECRET],
      ...['--identity-dir', path.join(dir, 'operator-identity'), '--certificate-days', '30'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  createInterface({ input: operator.stdout! }).on('line', (line) => {
    if (process.env.TAPEDECK_TEST_LOG !== undefined) process.stderr.write(`[operator] ${line}\n`);
    try {
      operatorLines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      operatorLines.push({ msg: line });
    }
  });
  const data = await waitFor('the operator to issue the agents certificate', async () => {
    const secret = await h.core.readNamespacedSecret({ namespace: h.namespace, name: SECRET });
    return secret.data?.['tls.crt'] ? secret.data : undefined;
  });
  await projectSecret(data);
  agents.push(...(await Promise.all(starting)));
  for (const [i, node] of sim.nodes.entries()) await registerAgentPod(h, node, agents[i]?.port ?? 0);
}, 120_000);

afterAll(async () => {
  operator?.kill('SIGTERM');
  await Promise.all(agents.map((a) => a.stop()));
  await sim?.destroy();
  await h.teardown();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('operator-issued identities with real agents', () => {
  it('should record on both nodes once the agents have the certificate the operator issued', async () => {
    const issued = operatorLines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('Issued the'));
    expect(issued.map((l) => [l.msg, l.subject, l.reason])).toEqual([
      ['Issued the operator certificate', 'CN=tapedeck-operator', 'none issued yet'],
      ['Issued the agent certificate', 'CN=tapedeck-agent', 'none issued yet'],
    ]);
    // Every agent said what it waited for before it could serve.
    for (const agent of agents) {
      const waiting = agent.logs.find((l) => l.msg.startsWith('Waiting for the TLS files'));
      expect(waiting?.missing).toEqual([
        path.join(volume(), 'tls.crt'),
        path.join(volume(), 'tls.key'),
        path.join(volume(), 'ca.crt'),
      ]);
    }
    const secret = await h.core.readNamespacedSecret({ namespace: h.namespace, name: SECRET });
    const served = new X509Certificate(Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64'));
    expect(served.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);

    const [a, b] = sim?.nodes ?? [];
    if (a === undefined || b === undefined) throw new Error('expected 2 nodes');
    await h.create('issued', {
      target: { nodeSelector: h.selector({}), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      stopCondition: { packetsCapturedCount: LIMIT },
      schedule: { duration: '2m' },
    });
    await waitFor('both nodes capturing', async () => {
      const r = await h.get('issued');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 2 ? true : undefined;
    });
    const senders = await Promise.all([
      netnsUdpSender(a.netns, 3 * LIMIT, [`${b.ip}:${PORT}`]),
      netnsUdpSender(b.netns, 3 * LIMIT, [`${a.ip}:${PORT}`]),
    ]);
    expect(senders).toEqual([0, 0]);
    const done = await h.waitPhase('issued', 'Completed', 30_000);
    expect(done.status).toMatchObject({
      stopReason: 'PacketLimit',
      nodesReady: '2/2',
      totals: { packetsCaptured: 2 * LIMIT, packetsLost: 0 },
    });
  });
});
