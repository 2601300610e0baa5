// Leader election over a real coordination.k8s.io/v1 Lease: of two replicas only
// the leader dispatches; when it dies the other takes over.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AgentClient,
  SessionFilter,
  SessionKey,
  SessionSpec,
  StopReason,
} from '../../operator/dispatch/agent-client.js';
import { LeaderElector } from '../../operator/ops/leader-election.js';
import { FakeAgents } from './operator-fake-agents.js';
import { OperatorHarness, waitFor } from './operator-harness.js';

const h = new OperatorHarness();
beforeAll(async () => {
  await h.setup([{ pool: 'web' }, { pool: 'web' }]);
});
afterAll(async () => {
  await h.teardown();
});

/** The shared agents as seen by one replica: records who dispatched what. */
class ReplicaAgents implements AgentClient {
  constructor(
    private readonly replica: string,
    private readonly agents: FakeAgents,
    private readonly log: string[],
  ) {}
  startSession(node: string, spec: SessionSpec, epoch: number) {
    this.log.push(`${this.replica} start ${node}`);
    return this.agents.startSession(node, spec, epoch);
  }
  stopSession(node: string, key: SessionKey, reason: StopReason, epoch: number) {
    this.log.push(`${this.replica} stop ${node}`);
    return this.agents.stopSession(node, key, reason, epoch);
  }
  updateSession(node: string, key: SessionKey, filter: SessionFilter, epoch: number) {
    this.log.push(`${this.replica} update ${node}`);
    return this.agents.updateSession(node, key, filter, epoch);
  }
  refreshCredentials(node: string, key: SessionKey, credentials: unknown, epoch: number) {
    this.log.push(`${this.replica} refresh ${node}`);
    return this.agents.refreshCredentials(node, key, credentials, epoch);
  }
  listSessions(node: string) {
    return this.agents.listSessions(node);
  }
}

describe('operator leader election', () => {
  it('should let only the leader dispatch and hand over when the leader dies', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    const dispatched: string[] = [];
    const log = pino({ level: process.env.TAPEDECK_TEST_LOG ?? 'silent' });
    const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 };
    const replicas = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const ref: { elector?: LeaderElector } = {};
        const leadership = {
          get canAct() {
            return ref.elector?.canAct ?? false;
          },
          get epoch() {
            return ref.elector?.epoch ?? 0;
          },
        };
        const controller = await h.startController(new ReplicaAgents(name, agents, dispatched), {
          workers: false,
          identity: name,
          leadership,
        });
        const elector = new LeaderElector(h.kc, {
          namespace: h.namespace,
          name: 'tapedeck-operator',
          identity: name,
          ...timing,
          log,
          onStartedLeading: () => controller.startWorkers(),
          onStoppedLeading: () => void controller.stopWorkers(),
        });
        ref.elector = elector;
        return { name, controller, elector };
      }),
    );
    for (const r of replicas) r.elector.start();
    const leader = await waitFor('a leader', async () => replicas.find((r) => r.elector.isLeader));
    const standby = replicas.find((r) => r !== leader);
    if (standby === undefined) throw new Error('no standby');
    // The standby watches four renewals by the leader without taking the Lease.
    const renewals = new Set<string>();
    await waitFor('four renewals by the leader', async () => {
      const l = await h.kc
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ namespace: h.namespace, name: 'tapedeck-operator' });
      expect(standby.elector.isLeader).toBe(false);
      renewals.add(String(l.spec?.renewTime));
      return renewals.size >= 4 ? true : undefined;
    });

    const created = await h.create('led', { target: { nodeSelector: h.selector() }, schedule: { duration: '5m' } });
    await waitFor('2 sessions', async () => (agents.running().length === 2 ? true : undefined));
    await h.waitPhase('led', 'Running');
    expect(dispatched.sort()).toEqual([`${leader.name} start ${h.nodes[0]}`, `${leader.name} start ${h.nodes[1]}`]);

    const lease = await h.kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: h.namespace, name: 'tapedeck-operator' });
    expect(lease.spec?.holderIdentity).toBe(leader.name);

    // The leader dies without releasing its Lease: the standby waits for it to expire, then leads.
    leader.elector.abandon();
    await h.stopController(leader.controller);
    await waitFor('the standby to lead', async () => (standby.elector.isLeader ? true : undefined), 10_000);
    agents.hitPacketLimit(created.metadata.uid ?? '', 10);
    const done = await h.waitPhase('led', 'Completed');
    expect(done.status?.totals?.packetsCaptured).toBe(20);
    expect(agents.created).toBe(2);
    expect(dispatched.filter((d) => d.startsWith(standby.name))).toEqual([]);
    await standby.elector.stop();
  });
});
