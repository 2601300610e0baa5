// End to end: the operator (in process) against the real API server and three
// real tapedeck-agent processes in network-namespace nodes, over gRPC with mTLS.
// A Recording picks 2 of the 3 nodes by nodeSelector with a packet limit of 500
// while real UDP traffic flows between the nodes.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../operator/controller/controller.js';
import { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import { OperatorMetrics } from '../../operator/ops/metrics.js';
import { createTestNodes, testEnv } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { AGENT_TLS_NAME, clientPem, makePki } from '../integration/agent-pki.js';
import { startAgentProcess } from '../integration/agent-process.js';
import type { AgentProcess } from '../integration/agent-process.js';
import { netnsUdpSender, tsharkCount } from '../integration/agent-traffic.js';
import { OperatorHarness, waitFor } from '../integration/operator-harness.js';

const PORT = 5401;
const LIMIT = 500;
const SENT = 3000;
const h = new OperatorHarness();
const agentLabels = { 'app.kubernetes.io/name': 'tapedeck', 'app.kubernetes.io/component': 'agent' };
let dir = '';
let sim: SimulatedNodes | undefined;
const agents: AgentProcess[] = [];
let controller: Controller | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-op-e2e-'));
  await h.setup([]);
  sim = await createTestNodes(3, { labels: (i) => ({ pool: i < 2 ? 'web' : 'db', 'op-run': h.run }) });
  const pki = await makePki(dir);
  for (const node of sim.nodes) {
    const agent = await startAgentProcess({
      netns: node.netns,
      args: [
        ...['--node-name', node.name, '--listen', `${node.ip}:0`, '--data-dir', path.join(dir, node.name)],
        ...['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.caCert],
      ],
    });
    agents.push(agent);
    // No kubelet here: the agent DaemonSet's pod is created through the API and its status written by hand.
    const name = `agent-${node.name}`;
    await h.core.createNamespacedPod({
      namespace: h.namespace,
      body: {
        metadata: { name, labels: agentLabels },
        spec: {
          nodeName: node.name,
          containers: [
            { name: 'agent', image: 'tapedeck-agent:dev', ports: [{ name: 'grpc', containerPort: agent.port }] },
          ],
        },
      },
    });
    await h.core.patchNamespacedPodStatus(
      {
        namespace: h.namespace,
        name,
        body: { status: { phase: 'Running', podIP: node.ip, podIPs: [{ ip: node.ip }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
  const pem = await clientPem(pki);
  controller = new Controller({
    kubeConfig: h.kc,
    agents: (directory) => new GrpcAgentClient(directory, { ...pem, serverName: AGENT_TLS_NAME }),
    agentPods: { namespace: h.namespace, labels: agentLabels },
    metrics: new OperatorMetrics(),
    log: pino({ level: process.env.TAPEDECK_TEST_LOG ?? 'silent' }),
    watchNamespace: h.namespace,
  });
  await controller.startCaches();
  controller.startWorkers();
});

afterAll(async () => {
  await controller?.stop();
  await Promise.all(agents.map((a) => a.stop()));
  await sim?.destroy();
  await h.teardown();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('operator with real agents', () => {
  it('should record exactly 500 matching packets on each of the 2 selected nodes', async () => {
    const nodes = sim?.nodes ?? [];
    const [a, b, c] = [nodes[0], nodes[1], nodes[2]];
    if (a === undefined || b === undefined || c === undefined) throw new Error('expected 3 nodes');
    await h.create('two-of-three', {
      target: { nodeSelector: h.selector({ pool: 'web' }), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      stopCondition: { packetsCapturedCount: LIMIT },
      schedule: { duration: '2m' },
      output: { formats: ['pcap'] },
    });
    await waitFor('both nodes capturing', async () => {
      const r = await h.get('two-of-three');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 2 ? true : undefined;
    });

    const senders = await Promise.all([
      netnsUdpSender(a.netns, SENT, [`${b.ip}:${PORT}`, `${c.ip}:${PORT + 1}`]),
      netnsUdpSender(b.netns, SENT, [`${a.ip}:${PORT}`]),
      netnsUdpSender(c.netns, SENT, [`${a.ip}:${PORT}`]),
    ]);
    expect(senders).toEqual([0, 0, 0]);

    const done = await h.waitPhase('two-of-three', 'Completed', 30_000);
    expect(done.status).toMatchObject({
      stopReason: 'PacketLimit',
      nodesReady: '2/2',
      totals: { packetsCaptured: 2 * LIMIT, packetsLost: 0 },
    });
    expect(done.status?.nodes?.map((n) => [n.name, n.phase, n.packetsCaptured])).toEqual([
      [a.name, 'Completed', LIMIT],
      [b.name, 'Completed', LIMIT],
    ]);
    for (const node of [a, b]) {
      const row = done.status?.nodes?.find((n) => n.name === node.name);
      const file = row?.files?.find((f) => f.format === 'pcap');
      expect(file?.closed).toBe(true);
      const agentFiles = await promisify(execFile)('find', [path.join(dir, node.name), '-name', file?.name ?? '-']);
      const full = agentFiles.stdout.trim().split('\n')[0] ?? '';
      expect(await tsharkCount(full)).toBe(LIMIT);
      expect(await tsharkCount(full, `udp.dstport == ${PORT}`)).toBe(LIMIT);
    }
    const reasons = (await h.events('two-of-three')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Started', 'Stopped', 'Completed']));

    const { stdout } = await promisify(execFile)(testEnv().bin.kubectl, ['get', 'rec', '-n', h.namespace], {
      env: { ...process.env, KUBECONFIG: testEnv().kubeconfigPath },
    });
    expect(stdout).toMatch(/two-of-three\s+Completed\s+2\/2\s+1000\s/);
  });
});
