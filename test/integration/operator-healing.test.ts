// Node rows that heal, against the real API server (agents behind the AgentClient
// port are the fake that behaves like the real agent): a Recording applied before
// any agent exists, a node added mid-recording, NotReady nodes and nodes outside
// the agent DaemonSet's placement, an agent that is gone for 10 s and comes back
// without its session (or resumes it), and deletion while an agent is unreachable.
import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Recording } from '../../operator/api/recording.js';
import { OperatorMetrics } from '../../operator/ops/metrics.js';
import { FakeAgents } from './operator-fake-agents.js';
import { AGENT_POD_LABELS, OperatorHarness, coords, sleep, waitFor } from './operator-harness.js';

const h = new OperatorHarness();

beforeAll(async () => {
  await h.setup([{ pool: 'a' }, { pool: 'a' }]);
});
afterEach(async () => {
  await h.stopAll();
});
afterAll(async () => {
  await h.teardown();
});

async function rows(name: string, want: (r: Recording) => boolean, what: string, timeoutMs = 20_000) {
  return waitFor(
    what,
    async () => {
      const r = await h.get(name);
      if (process.env.TAPEDECK_TEST_LOG !== undefined) process.stderr.write(`${JSON.stringify(r.status?.nodes)}\n`);
      return want(r) ? r : undefined;
    },
    timeoutMs,
  );
}
const phases = (r: Recording): string[][] => (r.status?.nodes ?? []).map((n) => [n.name, n.phase ?? '']);
const capturingOn = (r: Recording, n: number): boolean =>
  (r.status?.nodes ?? []).filter((x) => x.phase === 'Capturing').length === n;

describe('operator node rows that heal', () => {
  it('should record once agents appear when the Recording was applied before any agent existed', async () => {
    const agents = new FakeAgents(new Set());
    await h.startController(agents, { agentsFromPods: true });
    await h.create('early', { target: { nodeSelector: h.selector({ pool: 'a' }) }, schedule: { duration: '5m' } });
    const waiting = await rows('early', (r) => (r.status?.nodes ?? []).length === 2, 'two Pending rows');
    expect(waiting.status?.nodes?.map((n) => [n.phase, n.message])).toEqual([
      ['Pending', 'no tapedeck agent pod with an IP on the node yet; retrying'],
      ['Pending', 'no tapedeck agent pod with an IP on the node yet; retrying'],
    ]);
    expect(waiting.status?.phase).toBe('Running');

    // The DaemonSet's pods appear, first without an IP (still Pending), then with one.
    const [n0 = '', n1 = ''] = h.nodes;
    await h.addAgentPod(n0, '');
    await h.addAgentPod(n1, '198.18.200.2');
    await rows('early', (r) => capturingOn(r, 1), 'one node capturing');
    await h.core.deleteNamespacedPod({ namespace: h.namespace, name: `agent-${n0}`, gracePeriodSeconds: 0 });
    await h.addAgentPod(n0, '198.18.200.1');
    const both = await rows('early', (r) => capturingOn(r, 2), 'both nodes capturing');
    expect(both.status?.nodesReady).toBe('2/2');
    await h.custom.deleteNamespacedCustomObject({ ...coords, namespace: h.namespace, name: 'early' });
    for (const node of [n0, n1]) {
      await h.core.deleteNamespacedPod({ namespace: h.namespace, name: `agent-${node}`, gracePeriodSeconds: 0 });
    }
  });

  it('should record on a node added mid-recording', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    await h.startController(agents);
    await h.create('grows', { target: { nodeSelector: h.selector({ pool: 'a' }) }, schedule: { duration: '5m' } });
    await rows('grows', (r) => capturingOn(r, 2), 'two nodes capturing');
    const added = await h.addNode(`op-${h.run}-late`, { pool: 'a' });
    agents.nodes.add(added);
    const three = await rows('grows', (r) => capturingOn(r, 3), 'the new node capturing too');
    expect(three.status?.nodesReady).toBe('3/3');
    await h.core.deleteNode({ name: added });
    const lost = await rows('grows', (r) => r.status?.nodes?.some((n) => n.phase === 'Lost') === true, 'a Lost row');
    expect(lost.status?.nodes?.find((n) => n.name === added)).toMatchObject({ phase: 'Lost', message: 'node deleted' });
  });

  it('should record again after its agent was gone for 10 s without the session, and show the gap', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    await h.startController(agents);
    const created = await h.create('gap', {
      target: { nodeSelector: h.selector({ pool: 'a' }) },
      schedule: { duration: '5m' },
    });
    const uid = created.metadata.uid ?? '';
    await rows('gap', (r) => capturingOn(r, 2), 'two nodes capturing');
    const node = h.nodes[1] ?? '';
    const session = agents.sessions.get(node)?.get(`${uid}-1`);
    if (session !== undefined) session.packetsCaptured = 40;
    await rows('gap', (r) => r.status?.nodes?.[1]?.packetsCaptured === 40, 'the first counts in status');

    agents.shutdown(node);
    const gone = Date.now();
    await rows('gap', (r) => r.status?.nodes?.[1]?.phase === 'Unreachable', 'the node Unreachable');
    await sleep(Math.max(0, 10_000 - (Date.now() - gone))); // the agent stays away for 10 s: the scenario, not a wait
    agents.restart(node, { resume: false });

    const back = await rows(
      'gap',
      (r) => r.status?.nodes?.[1]?.phase === 'Capturing' && r.status.nodes[1].gaps?.[0]?.to !== undefined,
      'the node capturing again with a closed gap',
    );
    const row = back.status?.nodes?.[1];
    expect(row).toMatchObject({ segment: 2, packetsCaptured: 40, earlierSegments: { packetsCaptured: 40 } });
    const gap = row?.gaps?.[0];
    const gapMs = Date.parse(gap?.to ?? '') - Date.parse(gap?.from ?? '');
    expect(gapMs).toBeGreaterThanOrEqual(9_000);
    expect(gap?.reason).toBe('session lost: the agent no longer reports it');
    process.stdout.write(`[operator-healing] gap shown in status: ${JSON.stringify(gap)}\n`);
    const reasons = (await h.eventsWith('gap', ['NodeNotRecording', 'NodeRecordingAgain'])).map((e) => e.reason);
    expect(reasons).not.toContain('NodeFailed');
  });

  it('should end the row of an agent that never comes back Completed with its gap closed at the window end', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    const metrics = new OperatorMetrics();
    await h.startController(agents, { metrics });
    await h.create('gone', { target: { nodeSelector: h.selector({ pool: 'a' }) }, schedule: { duration: '6s' } });
    await rows('gone', (r) => capturingOn(r, 2), 'two nodes capturing');
    const node = h.nodes[1] ?? '';
    agents.shutdown(node);
    const away = await rows('gone', (r) => r.status?.nodes?.[1]?.phase === 'Unreachable', 'the node Unreachable');
    const unreachable = `agent unreachable: agent on ${node} is down`;
    expect(away.status?.nodes?.[1]?.gaps).toEqual([{ from: expect.any(String), reason: unreachable }]);

    const done = await h.waitPhase('gone', 'Completed');
    const row = done.status?.nodes?.[1];
    const windowEnd = new Date(Date.parse(done.status?.lastStartTime ?? '') + 6_000)
      .toISOString()
      .replace('.000Z', 'Z');
    expect(row).toMatchObject({
      phase: 'Completed',
      gaps: [{ from: away.status?.nodes?.[1]?.gaps?.[0]?.from, to: windowEnd }],
    });
    expect(row?.message).toMatch(/^Stopped: Duration: agent unreachable since /);
    expect(done.status?.nodes?.[0]?.gaps).toBeUndefined();
    const counted = (await metrics.nodeGaps.get()).values.find((v) => v.labels.recording === 'gone')?.value;
    expect(counted).toBe(1);
    const events = await h.eventsWith('gone', ['NodeNotRecording']);
    expect(events.find((e) => e.reason === 'NodeNotRecording')?.message).toBe(
      `Node ${node} may not be recording: ${unreachable}`,
    );
    process.stdout.write(`[operator-healing] never back: ${JSON.stringify(row)}, gaps counted ${counted}\n`);
  });

  it('should keep a session the agent resumed after a restart, with the gap the agent reports', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    await h.startController(agents);
    const created = await h.create('resumed', {
      target: { nodeSelector: h.selector({ pool: 'a' }) },
      schedule: { duration: '5m' },
    });
    const resumedUid = created.metadata.uid ?? '';
    await rows('resumed', (r) => capturingOn(r, 2), 'two nodes capturing');
    const node = h.nodes[0] ?? '';
    agents.shutdown(node);
    await rows('resumed', (r) => r.status?.nodes?.[0]?.phase === 'Unreachable', 'the node Unreachable');
    agents.restart(node, { resume: true });
    const back = await rows(
      'resumed',
      (r) => r.status?.nodes?.[0]?.phase === 'Capturing' && (r.status.nodes[0].gaps ?? []).length === 1,
      'the resumed session with its gap',
    );
    expect(back.status?.nodes?.[0]?.gaps?.[0]).toMatchObject({ reason: 'agent restarted' });
    expect([...agents.specs.keys()].filter((k) => k.includes(resumedUid))).toHaveLength(2);
  });
});

describe('operator targets', () => {
  it('should neither start on nor fail a NotReady node or one outside the agent DaemonSet placement', async () => {
    const apps = h.kc.makeApiClient(AppsV1Api);
    const outside = await h.addNode(`op-${h.run}-outside`, { pool: 'b' });
    const notReady = await h.addNode(`op-${h.run}-notready`, { pool: 'b', agent: 'yes' });
    const inside = await h.addNode(`op-${h.run}-inside`, { pool: 'b', agent: 'yes' });
    await h.setReady(notReady, false);
    await apps.createNamespacedDaemonSet({
      namespace: h.namespace,
      body: {
        metadata: { name: 'tapedeck-agent' },
        spec: {
          selector: { matchLabels: AGENT_POD_LABELS },
          template: {
            metadata: { labels: AGENT_POD_LABELS },
            spec: { nodeSelector: { agent: 'yes' }, containers: [{ name: 'agent', image: 'agent:dev' }] },
          },
        },
      },
    });
    try {
      const agents = new FakeAgents(new Set([outside, notReady, inside]));
      const metrics = new OperatorMetrics();
      await h.startController(agents, { metrics });
      const reconciles = async (): Promise<number> =>
        (await metrics.reconciles.get()).values.find((v) => v.labels.result === 'success')?.value ?? 0;
      await h.create('placed', { target: { nodeSelector: h.selector({ pool: 'b' }) }, schedule: { duration: '5m' } });
      const r = await rows('placed', (x) => capturingOn(x, 1), 'the one eligible node capturing');
      expect(phases(r)).toEqual([[inside, 'Capturing']]);
      expect(r.status).toMatchObject({ phase: 'Running', nodesReady: '1/1' });
      expect(r.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
      expect(agents.running().map((x) => x.node)).toEqual([inside]);

      // The NotReady node becomes Ready: it records; then it goes NotReady again: what runs there is not stopped.
      await h.setReady(notReady, true);
      await rows('placed', (x) => capturingOn(x, 2), 'the node that became Ready capturing');
      const before = await reconciles();
      await h.setReady(notReady, false);
      await waitFor('two reconciles after the node went NotReady', async () =>
        (await reconciles()) >= before + 2 ? true : undefined,
      );
      const later = await h.get('placed');
      expect(
        agents
          .running()
          .map((x) => x.node)
          .sort(),
      ).toEqual([notReady, inside].sort());
      expect((later.status?.nodes ?? []).every((n) => n.phase !== 'Failed')).toBe(true);
    } finally {
      await apps.deleteNamespacedDaemonSet({ namespace: h.namespace, name: 'tapedeck-agent' });
    }
  });
});
