// End to end: the operator (in process) against the real API server and three
// real tapedeck-agent processes in network-namespace nodes, over gRPC with mTLS.
// A Recording picks 2 of the 3 nodes by nodeSelector with a packet limit of 500
// while real UDP traffic flows between the nodes.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
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
import type { Pki } from '../integration/agent-pki.js';
import { startAgentProcess } from '../integration/agent-process.js';
import type { AgentProcess } from '../integration/agent-process.js';
import { netnsUdpSender, tsharkCount } from '../integration/agent-traffic.js';
import { OperatorHarness, coords, waitFor } from '../integration/operator-harness.js';

const PORT = 5401;
const LIMIT = 500;
const SENT = 3000;
const h = new OperatorHarness();
const agentLabels = { 'app.kubernetes.io/name': 'tapedeck', 'app.kubernetes.io/component': 'agent' };
let dir = '';
let sim: SimulatedNodes | undefined;
const agents: AgentProcess[] = [];
let controller: Controller | undefined;
let pki: Pki | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-op-e2e-'));
  await h.setup([]);
  sim = await createTestNodes(3, { labels: (i) => ({ pool: i < 2 ? 'web' : 'db', 'op-run': h.run }) });
  pki = await makePki(dir);
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
  await Promise.all(operators.map((o) => o.kill('SIGKILL')));
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
    const reasons = (await h.eventsWith('two-of-three', ['Started', 'Stopped', 'Completed'])).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Started', 'Stopped', 'Completed']));

    const { stdout } = await promisify(execFile)(testEnv().bin.kubectl, ['get', 'rec', '-n', h.namespace], {
      env: { ...process.env, KUBECONFIG: testEnv().kubeconfigPath },
    });
    expect(stdout).toMatch(/two-of-three\s+Completed\s+2\/2\s+1000\s/);
  });

  it('should adopt sessions after kill -9 of the operator: no duplicate, nothing lost', async () => {
    await controller?.stop();
    controller = undefined;
    const nodes = sim?.nodes ?? [];
    const [a, b] = [nodes[0], nodes[1]];
    if (a === undefined || b === undefined || pki === undefined) throw new Error('expected 2 nodes');
    const first = startOperator(pki, 'first');
    await first.leading;
    const created = await h.create('restarted', {
      target: { nodeSelector: h.selector({ pool: 'web' }), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT + 2, protocol: 'UDP' }] },
      stopCondition: { packetsCapturedCount: LIMIT },
      schedule: { duration: '2m' },
    });
    await waitFor('both nodes capturing', async () => {
      const r = await h.get('restarted');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 2 ? true : undefined;
    });
    // Some traffic before the crash, the rest after: the totals must add up to the limits.
    expect(await netnsUdpSender(a.netns, 100, [`${b.ip}:${PORT + 2}`])).toBe(0);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = startOperator(pki, 'second');
    await second.leading;
    const direct = new GrpcAgentClient(
      {
        addressOf: (node) =>
          `${nodes.find((n) => n.name === node)?.ip ?? ''}:${agents[nodes.findIndex((n) => n.name === node)]?.port ?? 0}`,
      },
      { ...(await clientPem(pki)), serverName: AGENT_TLS_NAME },
    );
    await waitFor('a status refresh by the new leader', async () => {
      const r = await h.get('restarted');
      return (r.status?.totals?.packetsCaptured ?? 0) >= 200 ? true : undefined;
    });
    for (const node of [a, b]) {
      const sessions = (await direct.listSessions(node.name)).filter((s) => s.recordingUid === created.metadata.uid);
      expect(sessions.map((s) => [s.iteration, s.state])).toEqual([[1, 'Running']]);
    }
    direct.close();
    const senders = await Promise.all([
      netnsUdpSender(a.netns, SENT, [`${b.ip}:${PORT + 2}`]),
      netnsUdpSender(b.netns, SENT, [`${a.ip}:${PORT + 2}`]),
    ]);
    expect(senders).toEqual([0, 0]);
    const done = await h.waitPhase('restarted', 'Completed', 30_000);
    expect(done.status).toMatchObject({
      stopReason: 'PacketLimit',
      totals: { packetsCaptured: 2 * LIMIT, packetsLost: 0 },
    });
    second.child.kill('SIGTERM');
    expect(await new Promise((resolve) => second.child.once('exit', resolve))).toBe(0);
  });

  it('should show Expired once expireAfter passed, when every agent has deleted the run', async () => {
    const nodes = sim?.nodes ?? [];
    if (pki === undefined) throw new Error('no pki');
    const operator = startOperator(pki, 'expiry');
    await operator.leading;
    const created = await h.create('expiring', {
      target: { nodeSelector: h.selector({ pool: 'web' }), interfaces: ['eth0'] },
      schedule: { duration: '3s' },
      output: { formats: ['pcap', 'pcapng'] },
      // The CRD's minimum.
      retention: { expireAfter: '1m' },
    });
    const done = await h.waitPhase('expiring', 'Completed', 30_000);
    await h.waitPhase('expiring', 'Expired', 90_000);
    const expiredSeen = Date.now();
    const stoppedAt = Date.parse(done.status?.lastStopTime ?? '');
    // Not before expireAfter (lastStopTime has second precision).
    expect(expiredSeen).toBeGreaterThanOrEqual(stoppedAt + 60_000 - 1000);
    const uid = created.metadata.uid ?? '';
    const direct = new GrpcAgentClient(
      {
        addressOf: (node) =>
          `${nodes.find((n) => n.name === node)?.ip ?? ''}:${agents[nodes.findIndex((n) => n.name === node)]?.port ?? 0}`,
      },
      { ...(await clientPem(pki)), serverName: AGENT_TLS_NAME },
    );
    const sessions = await waitFor('both agents to expire the run', async () => {
      const lists = (await Promise.all(nodes.slice(0, 2).map((n) => direct.listSessions(n.name)))).flat();
      const own = lists.filter((s) => s.recordingUid === uid);
      return own.length === 2 && own.every((s) => s.expired === true) ? own : undefined;
    });
    for (const s of sessions) {
      expect(s.files.length).toBeGreaterThanOrEqual(2);
      for (const f of s.files) expect(existsSync(f.path)).toBe(false);
    }
    direct.close();
    operator.child.kill('SIGTERM');
    expect(await new Promise((resolve) => operator.child.once('exit', resolve))).toBe(0);
  }, 150_000);

  it('should stop every capture on the agents within 2 s of deleting a running Recording', async () => {
    const nodes = sim?.nodes ?? [];
    if (pki === undefined) throw new Error('no pki');
    const operator = startOperator(pki, 'third');
    await operator.leading;
    const created = await h.create('deleted', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      schedule: { duration: '5m' },
    });
    const direct = new GrpcAgentClient(
      {
        addressOf: (node) =>
          `${nodes.find((n) => n.name === node)?.ip ?? ''}:${agents[nodes.findIndex((n) => n.name === node)]?.port ?? 0}`,
      },
      { ...(await clientPem(pki)), serverName: AGENT_TLS_NAME },
    );
    const running = async (): Promise<number> => {
      const lists = await Promise.all(nodes.map((n) => direct.listSessions(n.name)));
      return lists.flat().filter((s) => s.recordingUid === created.metadata.uid && s.state === 'Running').length;
    };
    await waitFor('3 running sessions', async () => ((await running()) === 3 ? true : undefined));
    await h.waitPhase('deleted', 'Running');
    const deletedAt = Date.now();
    await h.custom.deleteNamespacedCustomObject({ ...coords, namespace: h.namespace, name: 'deleted' });
    await waitFor('no running session', async () => ((await running()) === 0 ? true : undefined), 10_000);
    expect(Date.now() - deletedAt).toBeLessThan(2_000);
    await waitFor(
      'the Recording to go away',
      async () =>
        h.get('deleted').then(
          () => undefined,
          () => true,
        ),
      10_000,
    );
    // retention.onDelete.local Delete (the default): every agent deleted the run's local files first.
    const left = (await Promise.all(nodes.map((n) => direct.listSessions(n.name))))
      .flat()
      .filter((s) => s.recordingUid === created.metadata.uid);
    expect(left).toHaveLength(3);
    for (const s of left) {
      expect(s.expired).toBe(true);
      expect(s.files.length).toBeGreaterThan(0);
      for (const f of s.files) expect(existsSync(f.path)).toBe(false);
    }
    direct.close();
    operator.child.kill('SIGTERM');
    expect(await new Promise((resolve) => operator.child.once('exit', resolve))).toBe(0);
  });

  it('should show an agent killed mid-recording as unreachable, not failed, and complete with its gap', async () => {
    const nodes = sim?.nodes ?? [];
    const [a, b] = [nodes[0], nodes[1]];
    if (a === undefined || b === undefined || pki === undefined) throw new Error('expected 2 nodes');
    const operator = startOperator(pki, 'fourth');
    await operator.leading;
    await h.create('agent-killed', {
      target: { nodeSelector: h.selector({ pool: 'web' }), interfaces: ['eth0'] },
      schedule: { duration: '6s' },
    });
    await waitFor('both nodes capturing', async () => {
      const r = await h.get('agent-killed');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 2 ? true : undefined;
    });
    await agents[1]?.stop('SIGKILL');
    // A transient state with its reason, retried: not a final Failed row after one failed call.
    const unreachable = await waitFor('the killed node shown unreachable', async () => {
      const r = await h.get('agent-killed');
      const row = r.status?.nodes?.find((n) => n.name === b.name);
      return row?.phase === 'Unreachable'
        ? { row, ready: r.status?.conditions?.find((c) => c.type === 'Ready') }
        : undefined;
    });
    expect(unreachable.row.message).toContain('agent unreachable');
    expect(unreachable.ready?.reason).toBe('NodesUnreachable');
    const done = await waitFor('a final phase', async () => {
      const r = await h.get('agent-killed');
      return r.status?.phase === 'Completed' || r.status?.phase === 'Failed' ? r : undefined;
    });
    expect(done.status?.phase).toBe('Completed');
    expect(done.status?.nodes?.find((n) => n.name === a.name)?.phase).toBe('Completed');
    // It never came back: the time since it stopped answering is a gap closed at the window end.
    const killed = done.status?.nodes?.find((n) => n.name === b.name);
    expect(killed?.phase).toBe('Completed');
    const windowEnd = Date.parse(done.status?.lastStartTime ?? '') + 6_000;
    expect(killed?.gaps).toHaveLength(1);
    expect(killed?.gaps?.[0]?.reason).toMatch(/^agent unreachable: /);
    expect(Date.parse(killed?.gaps?.[0]?.to ?? '')).toBe(windowEnd);
    expect(Date.parse(killed?.gaps?.[0]?.from ?? '')).toBeLessThan(windowEnd);
    operator.child.kill('SIGTERM');
    expect(await new Promise((resolve) => operator.child.once('exit', resolve))).toBe(0);
  });
});

const operators: ChildProcess[] = [];

/** Runs the tapedeck-operator binary (through tsx) against the test API server. */
function startOperator(certs: Pki, identity: string): { child: ChildProcess; leading: Promise<void> } {
  const main = fileURLToPath(new URL('../../operator/main.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', main, '--kubeconfig', testEnv().kubeconfigPath, '--identity', identity],
      ...['--namespace', h.namespace, '--watch-namespace', h.namespace, '--agent-namespace', h.namespace],
      ...[
        '--lease-duration',
        '3000',
        '--renew-deadline',
        '2000',
        '--retry-period',
        '500',
        '--http-bind',
        '127.0.0.1:0',
      ],
      ...['--tls-ca', certs.caCert, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  operators.push(child);
  const leading = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (process.env.TAPEDECK_TEST_LOG !== undefined) process.stderr.write(`[${identity}] ${line}\n`);
      if (line.includes('"Became leader"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`operator ${identity} exited with ${code}`)));
  });
  return { child, leading };
}
