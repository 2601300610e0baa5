// The controller against the real API server (test environment), with the
// agents behind the AgentClient port replaced by an in-memory fake.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Recording } from '../../operator/api/recording.js';
import { testEnv } from '../env/kube.js';
import { FakeAgents } from './operator-fake-agents.js';
import { OperatorMetrics } from '../../operator/ops/metrics.js';
import { OperatorHarness, coords, waitFor } from './operator-harness.js';

const h = new OperatorHarness();

beforeAll(async () => {
  await h.setup([{ pool: 'web' }, { pool: 'web' }, { pool: 'db' }]);
});
afterEach(async () => {
  await h.stopAll();
});
afterAll(async () => {
  await h.teardown();
});

function freshAgents(): FakeAgents {
  return new FakeAgents(new Set(h.nodes));
}

/** Successful reconciles so far (the controller's own metric). */
async function reconciled(metrics: OperatorMetrics): Promise<number> {
  const m = await metrics.reconciles.get();
  return m.values.find((v) => v.labels.result === 'success')?.value ?? 0;
}

/** Waits until the controller has reconciled `name` at least once more after this call (via the sessions gauge it sets). */
async function reconciledAgain(metrics: OperatorMetrics, name: string): Promise<void> {
  metrics.sessionsRunning.remove({ namespace: h.namespace, recording: name });
  await waitFor(`another reconcile of ${name}`, async () => {
    const m = await metrics.sessionsRunning.get();
    return m.values.some((v) => v.labels.recording === name) ? true : undefined;
  });
}

async function runningOn(agents: FakeAgents, uid: string, count: number): Promise<string[]> {
  return waitFor(`${count} running sessions`, async () => {
    const nodes = agents
      .running()
      .filter((r) => r.session.recordingUid === uid)
      .map((r) => r.node)
      .sort();
    return nodes.length === count ? nodes : undefined;
  });
}

describe('operator controller', () => {
  it('should capture on the 2 of 3 nodes its nodeSelector picks and complete with PacketLimit', async () => {
    const agents = freshAgents();
    const metrics = new OperatorMetrics();
    const controller = await h.startController(agents, { metrics });
    const created = await h.create('packet-limit', {
      target: { nodeSelector: h.selector({ pool: 'web' }) },
      stopCondition: { packetsCapturedCount: 500 },
      schedule: { duration: '60s' },
    });
    const uid = created.metadata.uid ?? '';

    expect(await runningOn(agents, uid, 2)).toEqual([h.nodes[0], h.nodes[1]]);
    const running = await h.waitPhase('packet-limit', 'Running');
    expect(running.metadata.finalizers).toContain('tapedeck.dev/stop-sessions');

    expect(agents.hitPacketLimit(uid, 500)).toBe(2);
    const done = await h.waitPhase('packet-limit', 'Completed');

    expect(done.status).toMatchObject({
      phase: 'Completed',
      stopReason: 'PacketLimit',
      iteration: 1,
      nodesReady: '2/2',
      totals: { packetsCaptured: 1000, bytesCaptured: 64_000, packetsLost: 0, bytesLost: 0 },
    });
    expect(done.status?.nodes?.map((n) => [n.name, n.phase, n.packetsCaptured])).toEqual([
      [h.nodes[0], 'Completed', 500],
      [h.nodes[1], 'Completed', 500],
    ]);
    expect(done.status?.nodes?.[0]?.files?.[0]).toMatchObject({ format: 'pcap' });
    const ready = done.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'True' });

    const reasons = (await h.eventsWith('packet-limit', ['Started', 'Stopped', 'Completed'])).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Started', 'Stopped', 'Completed']));

    const { stdout } = await promisify(execFile)(testEnv().bin.kubectl, ['get', 'rec', '-n', h.namespace], {
      env: { ...process.env, KUBECONFIG: testEnv().kubeconfigPath },
    });
    expect(stdout).toMatch(/packet-limit\s+Completed\s+2\/2\s+1000\s+64000\s+0/);

    // Reconciling a finished Recording again writes nothing: touch it, wait for the reconcile, compare.
    const touched = (await h.custom.patchNamespacedCustomObject(
      { ...coords, namespace: h.namespace, name: 'packet-limit', body: { metadata: { annotations: { touch: '1' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Recording;
    const before = await reconciled(metrics);
    await waitFor('a reconcile after the touch', async () => ((await reconciled(metrics)) > before ? true : undefined));
    expect((await h.get('packet-limit')).metadata.resourceVersion).toBe(touched.metadata.resourceVersion);
    await h.stopController(controller);
  });

  it('should go Scheduled, Running, Completed at the times its schedule says', async () => {
    const agents = freshAgents();
    await h.startController(agents);
    const start = Math.ceil(Date.now() / 1000) * 1000 + 5_000;
    await h.create('scheduled', {
      target: { nodeSelector: h.selector({ pool: 'db' }) },
      schedule: { startTime: new Date(start).toISOString().replace('.000Z', 'Z'), duration: '3s' },
    });
    const seen: { phase: string; at: number }[] = [];
    await waitFor(
      'the schedule to complete',
      async () => {
        const phase = (await h.get('scheduled')).status?.phase ?? '';
        if (seen.at(-1)?.phase !== phase) seen.push({ phase, at: Date.now() });
        return phase === 'Completed' ? true : undefined;
      },
      15_000,
    );
    const phases = seen.map((s) => s.phase).filter((p) => p !== '');
    expect(phases).toEqual(['Scheduled', 'Running', 'Completed']);
    // Never early (the operator decides from the clock); how late depends on the machine's load.
    const at = (phase: string): number => seen.find((s) => s.phase === phase)?.at ?? 0;
    expect(at('Running')).toBeGreaterThanOrEqual(start);
    expect(at('Completed')).toBeGreaterThanOrEqual(start + 3_000);
    const done = await h.get('scheduled');
    expect(done.status).toMatchObject({
      stopReason: 'Duration',
      lastStartTime: new Date(start).toISOString().replace('.000Z', 'Z'),
    });
    expect(agents.running()).toEqual([]);
  });

  it('should stop every session when a running Recording is deleted, then let it go', async () => {
    const agents = freshAgents();
    await h.startController(agents);
    const created = await h.create('deleted', { target: { nodeSelector: h.selector() }, schedule: { duration: '5m' } });
    const uid = created.metadata.uid ?? '';
    await runningOn(agents, uid, 3);
    await h.waitPhase('deleted', 'Running');

    await h.custom.deleteNamespacedCustomObject({ ...coords, namespace: h.namespace, name: 'deleted' });
    await runningOn(agents, uid, 0);
    await waitFor(
      'the Recording to go away',
      async () => {
        try {
          await h.get('deleted');
          return undefined;
        } catch {
          return true;
        }
      },
      5_000,
    );
  });

  it('should adopt running sessions after a restart instead of starting duplicates', async () => {
    const agents = freshAgents();
    const first = await h.startController(agents);
    const created = await h.create('adopted', {
      target: { nodeSelector: h.selector({ pool: 'web' }) },
      stopCondition: { packetsCapturedCount: 500 },
      schedule: { duration: '2m' },
    });
    const uid = created.metadata.uid ?? '';
    await runningOn(agents, uid, 2);
    await h.waitPhase('adopted', 'Running');
    await h.stopController(first);

    const metrics = new OperatorMetrics();
    await h.startController(agents, { metrics });
    await reconciledAgain(metrics, 'adopted');
    expect(agents.created).toBe(2);
    expect([...agents.startCalls.values()]).toEqual([1, 1]);

    agents.hitPacketLimit(uid, 500);
    const done = await h.waitPhase('adopted', 'Completed');
    expect(done.status?.totals?.packetsCaptured).toBe(1000);
  });

  it('should show an agent that stopped answering as Unreachable, not Failed, and still finish', async () => {
    const agents = freshAgents();
    await h.startController(agents);
    const created = await h.create('agent-died', {
      target: { nodeSelector: h.selector({ pool: 'web' }) },
      schedule: { duration: '4s' },
    });
    await runningOn(agents, created.metadata.uid ?? '', 2);
    agents.down.add(h.nodes[1] ?? '');

    const unreachable = await waitFor('an Unreachable row', async () => {
      const r = await h.get('agent-died');
      return r.status?.nodes?.some((n) => n.phase === 'Unreachable') === true ? r : undefined;
    });
    expect(unreachable.status?.nodes?.[1]?.message).toContain('agent unreachable');
    expect(unreachable.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'NodesUnreachable',
    });
    const done = await h.waitPhase('agent-died', 'Completed');
    expect(done.status?.nodes?.map((n) => [n.name, n.phase])).toEqual([
      [h.nodes[0], 'Completed'],
      [h.nodes[1], 'Completed'],
    ]);
    expect((await h.events('agent-died')).map((e) => e.reason)).not.toContain('NodeFailed');
  });

  it('should fail the node whose agent rejects the start and capture on the others', async () => {
    const agents = freshAgents();
    agents.rejecting.add(h.nodes[1] ?? '');
    const metrics = new OperatorMetrics();
    await h.startController(agents, { metrics });
    const created = await h.create('rejected', {
      target: { nodeSelector: h.selector({ pool: 'web' }) },
      schedule: { duration: '5m' },
    });
    expect(await runningOn(agents, created.metadata.uid ?? '', 1)).toEqual([h.nodes[0]]);
    const r = await waitFor('a failed row', async () => {
      const rec = await h.get('rejected');
      return rec.status?.nodes?.some((n) => n.phase === 'Failed') === true ? rec : undefined;
    });
    expect(r.status?.phase).toBe('Running');
    expect(r.status?.nodes?.map((n) => [n.name, n.phase])).toEqual([
      [h.nodes[0], 'Capturing'],
      [h.nodes[1], 'Failed'],
    ]);
    expect(r.status?.nodes?.[1]?.message).toContain('bad filter');
    const reasons = (await h.eventsWith('rejected', ['StartFailed', 'NodeFailed'])).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['StartFailed', 'NodeFailed']));
    await reconciledAgain(metrics, 'rejected');
    await reconciledAgain(metrics, 'rejected');
    expect(agents.created).toBe(1);
    expect([...agents.startCalls.keys()]).toEqual([`${h.nodes[0]}/${created.metadata.uid ?? ''}-1`]);
  });

  it('should capture on the nodes hosting the pods a podSelector picks, narrowed to their IPs', async () => {
    const agents = freshAgents();
    await h.startController(agents);
    const node = h.nodes[2] ?? '';
    await h.core.createNamespacedPod({
      namespace: h.namespace,
      body: {
        metadata: { name: 'checkout', labels: { app: 'checkout' } },
        spec: { nodeName: node, containers: [{ name: 'app', image: 'checkout:1' }] },
      },
    });
    await h.core.patchNamespacedPodStatus(
      {
        namespace: h.namespace,
        name: 'checkout',
        body: { status: { podIP: '10.9.8.7', podIPs: [{ ip: '10.9.8.7' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const created = await h.create('by-pod', {
      target: { nodeSelector: h.selector(), podSelector: { matchLabels: { app: 'checkout' } } },
      filter: { bpf: 'udp' },
      schedule: { duration: '5m' },
    });
    const uid = created.metadata.uid ?? '';
    expect(await runningOn(agents, uid, 1)).toEqual([node]);
    expect(agents.specs.get(`${node}/${uid}-1`)?.filter).toMatchObject({ bpf: 'udp', endpointIps: ['10.9.8.7'] });
  });

  it('should start a session on a node that joins a running Recording', async () => {
    const agents = freshAgents();
    await h.startController(agents);
    const created = await h.create('joiner', {
      target: { nodeSelector: h.selector({ team: 'blue' }) },
      schedule: { duration: '5m' },
    });
    await h.waitPhase('joiner', 'Pending');
    const node = h.nodes[2] ?? '';
    await h.core.patchNode(
      { name: node, body: { metadata: { labels: { team: 'blue' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(await runningOn(agents, created.metadata.uid ?? '', 1)).toEqual([node]);
    await h.waitPhase('joiner', 'Running');
  });
});
