// End to end: two tapedeck-operator processes (leader election on, distinct
// identities, short Lease timings) against the real API server and real agents
// in two network-namespace nodes. Only the Lease holder dispatches; SIGKILL of
// the leader hands over to the standby once the Lease expires, which adopts the
// running sessions, and the Recording completes with one session per node.
// SIGSTOP of the leader: the standby takes over once the Lease expires and acts
// with the next epoch; the stopped leader, resumed with SIGCONT, dispatches
// nothing, steps down and exits non-zero, and its epoch is refused by the agents.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoordinationV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import { createTestNodes } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { makePki } from '../integration/agent-pki.js';
import type { Pki } from '../integration/agent-pki.js';
import type { AgentProcess } from '../integration/agent-process.js';
import { netnsUdpSender } from '../integration/agent-traffic.js';
import { OperatorHarness, coords, waitFor } from '../integration/operator-harness.js';
import { directAgents, metric, startNodeAgents, startOperatorProcess } from './operator-processes.js';
import type { OperatorProcess } from './operator-processes.js';

const PORT = 5411;
const LIMIT = 300;
const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };
const LEASE = 'tapedeck-operator';
const h = new OperatorHarness();
let dir = '';
let sim: SimulatedNodes | undefined;
let pki: Pki | undefined;
let agents: AgentProcess[] = [];
let direct: GrpcAgentClient | undefined;
const operators: OperatorProcess[] = [];

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-leader-e2e-'));
  await h.setup([]);
  sim = await createTestNodes(2, { labels: () => ({ 'op-run': h.run }) });
  pki = await makePki(dir);
  agents = await startNodeAgents(h, sim.nodes, pki, dir);
  direct = await directAgents(sim.nodes, agents, pki);
});

afterAll(async () => {
  direct?.close();
  for (const operator of operators) operator.child.kill('SIGKILL');
  await Promise.all(agents.map((a) => a.stop()));
  await sim?.destroy();
  await h.teardown();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

function lease(): Promise<V1Lease> {
  return h.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: LEASE, namespace: h.namespace });
}

const millis = (time: Date | string | undefined): number => (time === undefined ? NaN : new Date(time).getTime());

describe('operator leader election with real agents', () => {
  it('should let only the leader dispatch and hand over to the standby when the leader is killed', async () => {
    const nodes = sim?.nodes ?? [];
    const [a, b] = [nodes[0], nodes[1]];
    if (a === undefined || b === undefined || pki === undefined || direct === undefined) throw new Error('no setup');
    const agentApi = direct;
    for (const identity of ['alpha', 'beta']) operators.push(await startOperatorProcess(h, pki, identity, TIMING));
    const [alpha, beta] = operators as [OperatorProcess, OperatorProcess];
    const leader = await Promise.race([alpha.leading.then(() => alpha), beta.leading.then(() => beta)]);
    const standby = leader === alpha ? beta : alpha;
    expect((await lease()).spec?.holderIdentity).toBe(leader.identity);
    await waitFor('the standby to sync its caches', async () =>
      standby.logged('Caches synced').length > 0 ? true : undefined,
    );

    const created = await h.create('handover', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      stopCondition: { packetsCapturedCount: LIMIT },
      schedule: { duration: '2m' },
      output: { formats: ['pcap'] },
    });
    const uid = created.metadata.uid ?? '';
    const sessionsOf = async (node: string): Promise<[number, string][]> =>
      (await agentApi.listSessions(node)).filter((s) => s.recordingUid === uid).map((s) => [s.iteration, s.state]);
    await waitFor('both nodes capturing', async () => {
      const r = await h.get('handover');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 2 ? true : undefined;
    });

    // Only the leader dispatched: one session per node, started by the leader's identity.
    for (const node of [a, b]) expect(await sessionsOf(node.name)).toEqual([[1, 'Running']]);
    expect(leader.logged('Started capture').map((l) => l.node)).toEqual(expect.arrayContaining([a.name, b.name]));
    expect(leader.logged('Started capture')).toHaveLength(2);
    expect(standby.logged('Started capture')).toHaveLength(0);
    expect(await metric(leader, 'tapedeck_operator_session_actions_total{action="start",result="success"}')).toBe(2);
    expect(await metric(standby, 'tapedeck_operator_session_actions_total')).toBe(0);
    expect(await metric(standby, 'tapedeck_operator_reconciles_total')).toBe(0);
    expect(await metric(standby, 'tapedeck_operator_leader')).toBe(0);
    expect(await metric(leader, 'tapedeck_operator_leader')).toBe(1);

    // Some traffic before the crash, the rest after: the totals must add up to the limits.
    expect(await netnsUdpSender(a.netns, 100, [`${b.ip}:${PORT}`])).toBe(0);
    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await leader.exited();
    const lastRenew = millis((await lease()).spec?.renewTime);

    const taken = await waitFor(
      'the standby to hold the Lease',
      async () => {
        const l = await lease();
        return l.spec?.holderIdentity === standby.identity ? l : undefined;
      },
      15_000,
    );
    const takeoverMs = Date.now() - killedAt;
    const acquiredAfterRenewMs = millis(taken.spec?.acquireTime) - lastRenew;
    if (process.env.TAPEDECK_TEST_LOG !== undefined) {
      process.stderr.write(
        `[test] takeover ${takeoverMs} ms after SIGKILL, ${acquiredAfterRenewMs} ms after the last renewal\n`,
      );
    }
    // Never before the Lease expired (two leaders), and within one lease duration plus a retry period or two.
    expect(acquiredAfterRenewMs).toBeGreaterThanOrEqual(TIMING.leaseDurationMs);
    expect(takeoverMs).toBeLessThan(TIMING.leaseDurationMs + 4 * TIMING.retryPeriodMs);
    await standby.leading;

    const senders = await Promise.all([
      netnsUdpSender(a.netns, 2_000, [`${b.ip}:${PORT}`]),
      netnsUdpSender(b.netns, 2_000, [`${a.ip}:${PORT}`]),
    ]);
    expect(senders).toEqual([0, 0]);
    const done = await h.waitPhase('handover', 'Completed', 30_000);
    expect(done.status).toMatchObject({
      stopReason: 'PacketLimit',
      nodesReady: '2/2',
      totals: { packetsCaptured: 2 * LIMIT, packetsLost: 0 },
    });
    expect(done.status?.nodes?.map((n) => [n.name, n.phase, n.packetsCaptured])).toEqual(
      [
        [a.name, 'Completed', LIMIT],
        [b.name, 'Completed', LIMIT],
      ].sort(),
    );
    // The new leader adopted the sessions: still exactly one per node for the iteration, none started anew.
    for (const node of [a, b]) expect(await sessionsOf(node.name)).toEqual([[1, 'Stopped']]);
    expect(standby.logged('Started capture')).toHaveLength(0);
    expect(await metric(standby, 'tapedeck_operator_leader')).toBe(1);

    standby.child.kill('SIGTERM');
    expect(await standby.exited()).toBe(0);
  });

  it('should fence a leader paused with SIGSTOP: the standby takes over, the resumed one acts no more', async () => {
    const nodes = sim?.nodes ?? [];
    if (nodes.length !== 2 || pki === undefined || direct === undefined) throw new Error('no setup');
    const agentApi = direct;
    const pair: OperatorProcess[] = [];
    for (const identity of ['gamma', 'delta']) pair.push(await startOperatorProcess(h, pki, identity, TIMING));
    operators.push(...pair);
    const [gamma, delta] = pair as [OperatorProcess, OperatorProcess];
    const leader = await Promise.race([gamma.leading.then(() => gamma), delta.leading.then(() => delta)]);
    const standby = leader === gamma ? delta : gamma;
    await waitFor('the standby to sync its caches', async () =>
      standby.logged('Caches synced').length > 0 ? true : undefined,
    );
    const staleEpoch = await metric(leader, 'tapedeck_operator_leader_epoch');

    const created = await h.create('paused', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      schedule: { duration: '2m' },
      output: { formats: ['pcap'] },
    });
    const uid = created.metadata.uid ?? '';
    await waitFor('both nodes capturing', async () => {
      const r = await h.get('paused');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 2 ? true : undefined;
    });
    const dispatched = (o: OperatorProcess): number =>
      ['Started capture', 'Stopped capture', 'Updated capture filter'].reduce((n, m) => n + o.logged(m).length, 0);
    expect([dispatched(leader), dispatched(standby)]).toEqual([2, 0]);

    leader.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    try {
      const taken = await waitFor(
        'the standby to hold the Lease',
        async () => {
          const l = await lease();
          return l.spec?.holderIdentity === standby.identity ? l : undefined;
        },
        15_000,
      );
      await standby.leading;
      const epoch = (taken.spec?.leaseTransitions ?? 0) + 1;
      expect(epoch).toBeGreaterThan(staleEpoch);
      // An edit only the new leader applies: UpdateSession carries its epoch to both agents.
      await h.custom.patchNamespacedCustomObject(
        { ...coords, namespace: h.namespace, name: 'paused', body: { spec: { filter: { bpf: 'udp' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await waitFor('the new leader to update both sessions', async () =>
        standby.logged('Updated capture filter').length === 2 ? true : undefined,
      );
      process.stdout.write(
        `[operator-leader] ${standby.identity} leads with epoch ${epoch} ${Date.now() - pausedAt} ms after SIGSTOP of ${leader.identity} (epoch ${staleEpoch})\n`,
      );
    } finally {
      leader.child.kill('SIGCONT');
    }

    // Resumed: its renewal is past the deadline, so it must not act; it steps down and exits non-zero.
    expect(await leader.exited()).toBe(1);
    expect(dispatched(leader)).toBe(2);
    expect(
      leader.logged('Lost leadership').length + leader.logged('Agent refused a stale leader: stepping down').length,
    ).toBeGreaterThan(0);
    expect((await lease()).spec?.holderIdentity).toBe(standby.identity);
    for (const node of nodes) {
      const sessions = (await agentApi.listSessions(node.name)).filter((s) => s.recordingUid === uid);
      expect(sessions.map((s) => [s.iteration, s.state, s.filter?.bpf])).toEqual([[1, 'Running', 'udp']]);
    }
    // What a call of the paused leader would get from an agent: the agent has seen the newer epoch.
    const refusal = await agentApi
      .updateSession(nodes[0]?.name ?? '', { recordingUid: uid, iteration: 1 }, { include: [], bpf: 'tcp' }, staleEpoch)
      .then(
        () => 'accepted',
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
    expect(refusal).toContain(`stale leader epoch ${staleEpoch} <`);
    process.stdout.write(`[operator-leader] agent refusal of the paused leader's epoch: ${refusal}\n`);

    await h.custom.deleteNamespacedCustomObject({ ...coords, namespace: h.namespace, name: 'paused' });
    await waitFor(
      'the Recording to go away',
      async () =>
        h.get('paused').then(
          () => undefined,
          () => true,
        ),
      15_000,
    );
    standby.child.kill('SIGTERM');
    expect(await standby.exited()).toBe(0);
  });
});
