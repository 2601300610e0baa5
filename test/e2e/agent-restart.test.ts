// End to end: agent restarts under a running Recording. The operator (in
// process) drives real agents in two network-namespace nodes while steady UDP
// flows between them. One agent is killed with SIGKILL, the other stopped with
// SIGTERM; each is replaced by a new process on the same data directory with
// a new agent Pod object (as the DaemonSet would). The session resumes within
// 5 s of each agent being back, the Recording stays Running throughout, ends
// Completed, and its totals equal tshark's count over every file. Then, with
// the operator stopped longer than a Recording's window, every agent stops at
// the window end by itself.
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
import type { AgentServiceClient } from '../../proto/generated/tapedeck/agent/v1/AgentService.js';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import { createTestNodes } from '../env/kube.js';
import type { SimulatedNode, SimulatedNodes } from '../env/nodes.js';
import { agentClient, channelCredentials, unary } from '../integration/agent-clients.js';
import { AGENT_TLS_NAME, clientPem, makePki, type Pki } from '../integration/agent-pki.js';
import { startAgentProcess, type AgentProcess } from '../integration/agent-process.js';
import { netnsUdpSender, tsharkCount } from '../integration/agent-traffic.js';
import { OperatorHarness, coords, waitFor } from '../integration/operator-harness.js';

const PORT = 5501;
const RESUME_WITHIN_MS = 5000;
const labels = { 'app.kubernetes.io/name': 'tapedeck', 'app.kubernetes.io/component': 'agent' };
const h = new OperatorHarness();
let dir = '';
let pki: Pki | undefined;
let sim: SimulatedNodes | undefined;
let controller: Controller | undefined;

/** One node's agent: the current process and its Pod object (replaced on every restart). */
interface NodeAgent {
  readonly node: SimulatedNode;
  process: AgentProcess;
  pod: string;
  generation: number;
  api: AgentServiceClient;
}
const agents: NodeAgent[] = [];

async function launch(node: SimulatedNode, generation: number): Promise<NodeAgent> {
  const p = pki!;
  const process = await startAgentProcess({
    netns: node.netns,
    args: [
      ...['--node-name', node.name, '--listen', `${node.ip}:0`, '--data-dir', path.join(dir, node.name)],
      ...['--tls-cert', p.serverCert, '--tls-key', p.serverKey, '--tls-ca', p.caCert],
    ],
  });
  // No kubelet: the DaemonSet's new pod is written through the API, with the new process's port.
  const pod = `agent-${node.name}-${generation}`;
  await h.core.createNamespacedPod({
    namespace: h.namespace,
    body: {
      metadata: { name: pod, labels },
      spec: {
        nodeName: node.name,
        containers: [
          { name: 'agent', image: 'tapedeck-agent:dev', ports: [{ name: 'grpc', containerPort: process.port }] },
        ],
      },
    },
  });
  await h.core.patchNamespacedPodStatus(
    {
      namespace: h.namespace,
      name: pod,
      body: { status: { phase: 'Running', podIP: node.ip, podIPs: [{ ip: node.ip }] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const api = agentClient(`${node.ip}:${process.port}`, channelCredentials(await clientPem(p)));
  return { node, process, pod, generation, api };
}

/** Ends the agent with `signal`, deletes its pod, starts a new process and pod; returns when it serves. */
async function replace(agent: NodeAgent, signal: NodeJS.Signals): Promise<void> {
  agent.api.close();
  await agent.process.stop(signal);
  await h.core.deleteNamespacedPod({ namespace: h.namespace, name: agent.pod, gracePeriodSeconds: 0 });
  const next = await launch(agent.node, agent.generation + 1);
  Object.assign(agent, next);
}

async function sessionOf(agent: NodeAgent, uid: string): Promise<Session__Output | undefined> {
  const list = await unary(agent.api.ListSessions.bind(agent.api), { recordingUid: uid }).catch(() => undefined);
  return list?.sessions[0];
}

async function pcapFiles(node: string, recording: string): Promise<string[]> {
  const root = path.join(dir, node, 'recordings', h.namespace, recording);
  const { stdout } = await promisify(execFile)('find', [root, '-name', '*.pcap']);
  return stdout.trim().split('\n').filter(Boolean);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-restart-e2e-'));
  await h.setup([]);
  sim = await createTestNodes(2, { labels: () => ({ 'op-run': h.run }) });
  pki = await makePki(dir);
  for (const node of sim.nodes) agents.push(await launch(node, 1));
  const pem = await clientPem(pki);
  controller = new Controller({
    kubeConfig: h.kc,
    agents: (directory) => new GrpcAgentClient(directory, { ...pem, serverName: AGENT_TLS_NAME }),
    agentPods: { namespace: h.namespace, labels },
    metrics: new OperatorMetrics(),
    log: pino({ level: process.env.TAPEDECK_TEST_LOG ?? 'silent' }),
    watchNamespace: h.namespace,
  });
  await controller.startCaches();
  controller.startWorkers();
});

afterAll(async () => {
  await controller?.stop();
  for (const agent of agents) {
    agent.api.close();
    await agent.process.stop();
  }
  await sim?.destroy();
  await h.teardown();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('agent restarts under a running Recording', () => {
  it('should resume after kill -9 and after SIGTERM, stay Running, and end Completed with totals equal to tshark', async () => {
    const [a, b] = agents as [NodeAgent, NodeAgent];
    const created = await h.create('restarts', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      schedule: { duration: '30s' },
      output: { formats: ['pcap'] },
    });
    const uid = created.metadata.uid ?? '';
    await waitFor('both nodes capturing', async () => {
      const r = await h.get('restarts');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 2 ? true : undefined;
    });
    // Steady traffic both ways for longer than the window: 500 datagrams per second each.
    const senders = Promise.all([
      netnsUdpSender(a.node.netns, 20_000, [`${b.node.ip}:${PORT}`], 1),
      netnsUdpSender(b.node.netns, 20_000, [`${a.node.ip}:${PORT}`], 1),
    ]);
    const phases = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        phases.add((await h.get('restarts')).status?.phase ?? '');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const resumedMs: Record<string, number> = {};
    for (const [agent, signal] of [
      [a, 'SIGKILL'],
      [b, 'SIGTERM'],
    ] as const) {
      await waitFor('packets before the restart', async () =>
        Number((await sessionOf(agent, uid))?.stats?.packetsCaptured) > 500 ? true : undefined,
      );
      const before = Number((await sessionOf(agent, uid))?.stats?.packetsCaptured);
      await replace(agent, signal);
      const back = Date.now();
      const resumed = await waitFor(
        `${agent.node.name} capturing again`,
        async () => {
          const s = await sessionOf(agent, uid);
          return s?.segment === 2 && Number(s.stats?.packetsCaptured) > before ? s : undefined;
        },
        RESUME_WITHIN_MS,
      );
      resumedMs[`${agent.node.name} ${signal}`] = Date.now() - back;
      expect(resumed.state).toBe('SESSION_STATE_RUNNING');
      expect(resumed.files.filter((f) => f.closed).length).toBeGreaterThanOrEqual(1); // segment 1's file
    }
    await waitFor('both nodes Capturing again', async () => {
      const r = await h.get('restarts');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 2 ? true : undefined;
    });

    const done = await h.waitPhase('restarts', 'Completed', 40_000);
    watching = false;
    await watch;
    expect([...phases].filter((p) => p !== 'Running' && p !== 'Completed')).toEqual([]);
    expect(done.status?.stopReason).toBe('Duration');
    let total = 0;
    for (const agent of agents) {
      const files = await pcapFiles(agent.node.name, 'restarts');
      expect(files).toHaveLength(2); // one per segment
      let counted = 0;
      for (const file of files) counted += await tsharkCount(file);
      const row = done.status?.nodes?.find((n) => n.name === agent.node.name);
      expect(row?.phase).toBe('Completed');
      expect(row?.packetsCaptured).toBe(counted);
      total += counted;
      const session = await sessionOf(agent, uid);
      expect(session?.gaps).toHaveLength(1);
      const gap = session!.gaps[0]!;
      const gapMs =
        Number(gap.to?.seconds) * 1000 +
        (gap.to?.nanos ?? 0) / 1e6 -
        (Number(gap.from?.seconds) * 1000 + (gap.from?.nanos ?? 0) / 1e6);
      process.stderr.write(
        `agent-restart e2e: ${agent.node.name} gap ${Math.round(gapMs)} ms (${gap.reason}); ${counted} packets in ${files.length} files\n`,
      );
    }
    expect(done.status?.totals?.packetsCaptured).toBe(total);
    process.stderr.write(
      `agent-restart e2e: resumed after ${JSON.stringify(resumedMs)} ms; totals ${total} = tshark ${total}\n`,
    );
    await senders;
  });

  it('should stay Running and keep recording on every node through a rolling restart of every agent', async () => {
    await h.create('rolling', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT + 2, protocol: 'UDP' }] },
      schedule: { duration: '2m' },
      output: { formats: ['pcap', 'pcapng'] },
    });
    const uid = (await h.get('rolling')).metadata.uid ?? '';
    await h.waitPhase('rolling', 'Running');
    const [a, b] = agents as [NodeAgent, NodeAgent];
    const senders = Promise.all([
      netnsUdpSender(a.node.netns, 6000, [`${b.node.ip}:${PORT + 2}`], 1),
      netnsUdpSender(b.node.netns, 6000, [`${a.node.ip}:${PORT + 2}`], 1),
    ]);
    // As a DaemonSet rolling update (maxUnavailable 1): one agent after the other, SIGTERM then a new pod.
    for (const agent of agents) {
      const before = Number((await sessionOf(agent, uid))?.stats?.packetsCaptured);
      await replace(agent, 'SIGTERM');
      await waitFor(
        `${agent.node.name} recording again`,
        async () => {
          const s = await sessionOf(agent, uid);
          return s?.state === 'SESSION_STATE_RUNNING' && Number(s.stats?.packetsCaptured) > before ? true : undefined;
        },
        RESUME_WITHIN_MS,
      );
      expect((await h.get('rolling')).status?.phase).toBe('Running');
    }
    const after = await Promise.all(agents.map((agent) => sessionOf(agent, uid)));
    await waitFor('every node recording after the rollout', async () => {
      const now = await Promise.all(agents.map((agent) => sessionOf(agent, uid)));
      const growing = now.every((s, i) => Number(s?.stats?.packetsCaptured) > Number(after[i]?.stats?.packetsCaptured));
      return growing ? true : undefined;
    });
    const r = await h.get('rolling');
    expect(r.status?.phase).toBe('Running');
    expect(r.status?.nodes?.map((n) => n.phase)).toEqual(['Capturing', 'Capturing']);
    await h.custom.deleteNamespacedCustomObject({ ...coords, namespace: h.namespace, name: 'rolling' });
    await senders;
  });

  it('should stop every agent at the window end by itself while the operator is stopped', async () => {
    await h.create('orphaned', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT + 1, protocol: 'UDP' }] },
      schedule: { duration: '8s' },
      output: { formats: ['pcap'] },
    });
    const uid = (await h.get('orphaned')).metadata.uid ?? '';
    await waitFor('both agents capturing', async () => {
      const sessions = await Promise.all(agents.map((agent) => sessionOf(agent, uid)));
      return sessions.every((s) => s?.state === 'SESSION_STATE_RUNNING') ? sessions : undefined;
    });
    await controller?.stop();
    controller = undefined;
    const stops = await Promise.all(
      agents.map((agent) =>
        waitFor(
          `${agent.node.name} stopped at the window end`,
          async () => {
            const s = await sessionOf(agent, uid);
            return s?.state === 'SESSION_STATE_STOPPED' ? s : undefined;
          },
          20_000,
        ),
      ),
    );
    for (const s of stops) {
      expect(s.stopReason).toBe('STOP_REASON_DURATION');
      const windowEnd = Number(s.spec?.windowEnd?.seconds) * 1000 + (s.spec?.windowEnd?.nanos ?? 0) / 1e6;
      const stopped = Number(s.stopTime?.seconds) * 1000 + (s.stopTime?.nanos ?? 0) / 1e6;
      expect(windowEnd).toBeGreaterThan(0);
      expect(stopped - windowEnd).toBeGreaterThanOrEqual(0);
      expect(stopped - windowEnd).toBeLessThan(2000);
      process.stderr.write(
        `agent-restart e2e: ${s.nodeName} stopped ${Math.round(stopped - windowEnd)} ms after window_end with no operator\n`,
      );
    }
  });
});
