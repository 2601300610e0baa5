// End to end: a podSelector Recording with the real operator binary and real
// agents in network-namespace nodes. A second matching pod appears on the node
// mid-recording; the operator puts its IP into that node's running session
// (UpdateSession) and its traffic is recorded from then on, into the same file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import type { SessionReport } from '../../operator/dispatch/agent-client.js';
import { createTestNodes } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { makePki } from '../integration/agent-pki.js';
import type { Pki } from '../integration/agent-pki.js';
import type { AgentProcess } from '../integration/agent-process.js';
import { netnsUdpSender, tsharkCount } from '../integration/agent-traffic.js';
import { OperatorHarness, coords, waitFor } from '../integration/operator-harness.js';
import { directAgents, startNodeAgents, startOperatorProcess } from './operator-processes.js';
import type { OperatorProcess } from './operator-processes.js';

const PORT = 5421;
const h = new OperatorHarness();
let dir = '';
let sim: SimulatedNodes | undefined;
let pki: Pki | undefined;
let agents: AgentProcess[] = [];
let direct: GrpcAgentClient | undefined;
let operator: OperatorProcess | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-podip-e2e-'));
  await h.setup([]);
  sim = await createTestNodes(2, { labels: () => ({ 'op-run': h.run }) });
  pki = await makePki(dir);
  agents = await startNodeAgents(h, sim.nodes, pki, dir);
  direct = await directAgents(sim.nodes, agents, pki);
});

afterAll(async () => {
  direct?.close();
  operator?.child.kill('SIGKILL');
  await Promise.all(agents.map((a) => a.stop()));
  await sim?.destroy();
  await h.teardown();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** A pod of app "web" bound to `node` with `ip`, its status written as a kubelet would. */
async function createPod(name: string, node: string, ip: string): Promise<void> {
  await h.core.createNamespacedPod({
    namespace: h.namespace,
    body: {
      metadata: { name, labels: { app: 'web' } },
      spec: { nodeName: node, containers: [{ name: 'web', image: 'web:1' }] },
    },
  });
  await h.core.patchNamespacedPodStatus(
    { namespace: h.namespace, name, body: { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

describe('operator podSelector with real agents', () => {
  it("should add a pod that appears mid-recording to its node's filter and record its traffic", async () => {
    const [a, b] = sim?.nodes ?? [];
    if (a === undefined || b === undefined || pki === undefined || direct === undefined) throw new Error('no setup');
    const agentApi = direct;
    operator = await startOperatorProcess(h, pki, 'podips', {
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 250,
    });
    await operator.leading;
    // Pod A uses node a's address; pod B gets a second address on node a's eth0.
    const podB = `${a.ip.split('.').slice(0, 3).join('.')}.200`;
    await a.run('ip', ['addr', 'add', `${podB}/24`, 'dev', 'eth0']);
    await createPod('web-a', a.name, a.ip);
    const created = await h.create('pod-ips', {
      target: { nodeSelector: h.selector(), podSelector: { matchLabels: { app: 'web' } }, interfaces: ['eth0'] },
      filter: { bpf: `udp port ${PORT}` },
      schedule: { duration: '2m' },
      output: { formats: ['pcap'] },
      // The file is read after the Recording is deleted: keep it (the default, Delete, removes it).
      retention: { onDelete: { local: 'Retain' } },
    });
    const uid = created.metadata.uid ?? '';
    const session = async (): Promise<SessionReport | undefined> =>
      (await agentApi.listSessions(a.name)).find((s) => s.recordingUid === uid);
    const captured = (packets: number): Promise<SessionReport> =>
      waitFor(`${packets} packets on ${a.name}`, async () => {
        const s = await session();
        return (s?.packetsCaptured ?? 0) >= packets ? s : undefined;
      });

    await waitFor('a session on node a', session);
    expect((await session())?.filter).toMatchObject({ bpf: `udp port ${PORT}`, endpointIps: [a.ip] });
    expect(await netnsUdpSender(b.netns, 100, [`${a.ip}:${PORT}`, `${podB}:${PORT}`])).toBe(0);
    expect((await captured(100)).packetsCaptured).toBe(100);

    await createPod('web-b', a.name, podB);
    const widened = JSON.stringify([a.ip, podB].sort());
    await waitFor('pod B in the filter', async () =>
      JSON.stringify((await session())?.filter?.endpointIps) === widened ? true : undefined,
    );
    expect(await netnsUdpSender(b.netns, 200, [`${a.ip}:${PORT}`, `${podB}:${PORT}`])).toBe(0);
    const running = await captured(500);
    expect(running).toMatchObject({ state: 'Running', packetsCaptured: 500 });
    expect((await agentApi.listSessions(b.name)).filter((s) => s.recordingUid === uid)).toEqual([]);
    expect(operator.logged('Updated capture filter')).toHaveLength(1);

    await h.custom.deleteNamespacedCustomObject({ ...coords, namespace: h.namespace, name: 'pod-ips' });
    const final = await waitFor('the session to stop', async () => {
      const s = await session();
      return s?.state === 'Stopped' ? s : undefined;
    });
    expect(final.files).toHaveLength(1);
    const file = final.files[0]?.path ?? '';
    expect(await tsharkCount(file, `ip.dst == ${a.ip}`)).toBe(300);
    expect(await tsharkCount(file, `ip.dst == ${podB}`)).toBe(200);
    expect(final.packetsCaptured).toBe(500);
  });
});
