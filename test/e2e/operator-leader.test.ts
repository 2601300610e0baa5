// End to end: two tapedeck-operator processes (leader election on, distinct
// identities, short Lease timings) against the real API server and real agents
// in two network-namespace nodes. Only the Lease holder dispatches; SIGKILL of
// the leader hands over to the standby once the Lease expires, which adopts the
// running sessions, and the Recording completes with one session per node.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import { createTestNodes } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { makePki } from '../integration/agent-pki.js';
import type { Pki } from '../integration/agent-pki.js';
import type { AgentProcess } from '../integration/agent-process.js';
import { netnsUdpSender } from '../integration/agent-traffic.js';
import { OperatorHarness, waitFor } from '../integration/operator-harness.js';
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
});
