// End to end: a node whose storage budget fills up shows it in the Recording's status. The operator
// (in process) drives a real tapedeck-agent with --storage-limit 8Mi in a network-namespace node
// while another node floods it with UDP: the Recording stays Running, its row says the node is out
// of storage, the StorageFull condition names the node, a Warning Event says so, and the row counts
// what the agent could not write as lost.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../operator/controller/controller.js';
import { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import { OperatorMetrics } from '../../operator/ops/metrics.js';
import { createTestNodes } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { AGENT_TLS_NAME, clientPem, makePki } from '../integration/agent-pki.js';
import { startAgentProcess } from '../integration/agent-process.js';
import type { AgentProcess } from '../integration/agent-process.js';
import { netnsUdpSender } from '../integration/agent-traffic.js';
import { OperatorHarness, waitFor } from '../integration/operator-harness.js';

const PORT = 5402;
const h = new OperatorHarness();
const agentLabels = { 'app.kubernetes.io/name': 'tapedeck', 'app.kubernetes.io/component': 'agent' };
let dir = '';
let sim: SimulatedNodes | undefined;
let agent: AgentProcess | undefined;
let controller: Controller | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-op-storage-'));
  await h.setup([]);
  sim = await createTestNodes(2, { labels: (i) => ({ pool: i === 0 ? 'full' : 'sender', 'op-run': h.run }) });
  const pki = await makePki(dir);
  const node = sim.nodes[0];
  if (node === undefined) throw new Error('expected 2 nodes');
  agent = await startAgentProcess({
    netns: node.netns,
    args: [
      ...['--node-name', node.name, '--listen', `${node.ip}:0`, '--data-dir', path.join(dir, node.name)],
      ...['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.caCert],
      ...['--storage-limit', '8Mi'],
    ],
  });
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
    { namespace: h.namespace, name, body: { status: { phase: 'Running', podIP: node.ip, podIPs: [{ ip: node.ip }] } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
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
  await agent?.stop();
  await sim?.destroy();
  await h.teardown();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('operator with an agent out of storage', () => {
  it('should show StorageFull in the row, a condition and a Warning Event while the Recording runs on', async () => {
    const [full, sender] = sim?.nodes ?? [];
    if (full === undefined || sender === undefined) throw new Error('expected 2 nodes');
    await h.create('storage-full', {
      target: { nodeSelector: h.selector({ pool: 'full' }), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      schedule: { duration: '5m' },
      output: { formats: ['pcap'], rotation: { maxFileBytes: 1024 * 1024 } },
    });
    await waitFor('the node capturing', async () => {
      const r = await h.get('storage-full');
      return r.status?.nodes?.[0]?.phase === 'Capturing' ? true : undefined;
    });
    // 8 MiB hold about 90 000 of these 74-byte packets (pcap record headers included).
    expect(await netnsUdpSender(sender.netns, 200_000, [`${full.ip}:${PORT}`], 100)).toBe(0);
    const r = await waitFor(
      'the StorageFull condition',
      async () => {
        const current = await h.get('storage-full');
        const condition = current.status?.conditions?.find((c) => c.type === 'StorageFull');
        return condition?.status === 'True' ? current : undefined;
      },
      60_000,
    );
    expect(r.status?.phase).toBe('Running');
    const row = r.status?.nodes?.find((n) => n.name === full.name);
    expect(row).toMatchObject({ phase: 'Capturing', message: expect.stringMatching(/^Storage full: /) });
    expect(row?.packetsLost ?? 0).toBeGreaterThan(0);
    expect(r.status?.conditions?.find((c) => c.type === 'StorageFull')?.message).toContain(full.name);
    const event = (await h.eventsWith('storage-full', ['StorageFull'])).find((e) => e.reason === 'StorageFull');
    expect(event).toMatchObject({ type: 'Warning', reason: 'StorageFull' });
    process.stderr.write(
      `operator-storage: ${row?.packetsCaptured} captured, ${row?.packetsLost} lost; row "${row?.message}"; event "${event?.message}"\n`,
    );
  }, 120_000);
});
