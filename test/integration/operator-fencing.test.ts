// Leader election that never lets two replicas act, against a real Lease: a
// replica whose wall clock runs 30 s ahead does not take the Lease from a healthy
// leader (expiry is timed from its own observation of the last change, not by
// comparing renewTime with its clock), still takes over from a dead one, and a
// leader paused mid-dispatch (as by SIGSTOP) whose Lease moved on is refused by the
// agents by its stale leader epoch and steps down.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../operator/controller/controller.js';
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
const TIMING = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 };
const log = pino({ level: process.env.TAPEDECK_TEST_LOG ?? 'silent' });
const electors: LeaderElector[] = [];

beforeAll(async () => {
  await h.setup([{}, {}]);
});
afterEach(async () => {
  for (const e of electors.splice(0)) e.abandon();
  await h.stopAll();
});
afterAll(async () => {
  await h.teardown();
});

/** Mutating calls of one replica wait while the gate is closed (a process paused after its leadership check). */
class GatedAgents implements AgentClient {
  closed = false;
  pending = 0;
  private opened: (() => void)[] = [];
  constructor(private readonly agents: FakeAgents) {}
  open(): void {
    this.closed = false;
    for (const resume of this.opened.splice(0)) resume();
  }
  private async gate(): Promise<void> {
    if (!this.closed) return;
    this.pending++;
    await new Promise<void>((resolve) => this.opened.push(resolve));
    this.pending--;
  }
  async startSession(node: string, spec: SessionSpec, epoch: number) {
    await this.gate();
    return this.agents.startSession(node, spec, epoch);
  }
  async stopSession(node: string, key: SessionKey, reason: StopReason, epoch: number) {
    await this.gate();
    return this.agents.stopSession(node, key, reason, epoch);
  }
  async updateSession(node: string, key: SessionKey, filter: SessionFilter, epoch: number) {
    await this.gate();
    return this.agents.updateSession(node, key, filter, epoch);
  }
  async refreshCredentials(node: string, key: SessionKey, credentials: unknown, epoch: number) {
    await this.gate();
    return this.agents.refreshCredentials(node, key, credentials, epoch);
  }
  listSessions(node: string) {
    return this.agents.listSessions(node);
  }
}

function elector(identity: string, lease: string, offsetMs = 0, controller?: () => Controller | undefined) {
  const e = new LeaderElector(h.kc, {
    namespace: h.namespace,
    name: lease,
    identity,
    ...TIMING,
    log: log.child({ replica: identity }),
    wallClock: () => Date.now() + offsetMs,
    onStartedLeading: () => controller?.()?.startWorkers(),
    onStoppedLeading: () => void controller?.()?.stopWorkers(),
  });
  electors.push(e);
  return e;
}

async function renewals(lease: string, count: number, onSample: () => void): Promise<void> {
  const api = h.kc.makeApiClient(CoordinationV1Api);
  const seen = new Set<string>();
  await waitFor(
    `${count} renewals of ${lease}`,
    async () => {
      onSample();
      const l = await api.readNamespacedLease({ namespace: h.namespace, name: lease });
      seen.add(String(l.spec?.renewTime));
      return seen.size >= count ? true : undefined;
    },
    30_000,
  );
}

describe('operator leader election with clocks that differ', () => {
  it('should not let a replica whose clock is 30 s ahead take a healthy Lease, but take over a dead one', async () => {
    const a = elector('a', 'offset');
    a.start();
    await waitFor('a to lead', async () => (a.isLeader ? true : undefined));
    const b = elector('b', 'offset', 30_000);
    b.start();
    let both = 0;
    // Three lease durations of renewals by a, watched by b the whole time.
    await renewals('offset', (3 * TIMING.leaseDurationMs) / TIMING.retryPeriodMs, () => {
      if (a.canAct && b.canAct) both++;
      expect(b.isLeader).toBe(false);
    });
    expect(both).toBe(0);
    expect(a.isLeader).toBe(true);

    // a dies without releasing: b (30 s ahead) waits one lease duration by its own clock, then leads.
    const diedAt = performance.now();
    a.abandon();
    await waitFor('b to lead', async () => (b.isLeader ? true : undefined), 10_000);
    expect(performance.now() - diedAt).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.retryPeriodMs);
  });
});

describe('operator fencing', () => {
  it('should have the agents refuse a leader paused mid-dispatch whose Lease moved on, which then steps down', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    const gated = new GatedAgents(agents);
    let fenced = 0;
    const replicas: { a?: Controller; b?: Controller } = {};
    const ea = elector('a', 'fenced', 0, () => replicas.a);
    const eb = elector('b', 'fenced', 30_000, () => replicas.b);
    replicas.a = await h.startController(gated, {
      workers: false,
      identity: 'a',
      leadership: ea,
      onFenced: () => fenced++,
    });
    replicas.b = await h.startController(agents, { workers: false, identity: 'b', leadership: eb });
    ea.start();
    await waitFor('a to lead', async () => (ea.isLeader ? true : undefined));
    eb.start();

    const first = await h.create('first', { target: { nodeSelector: h.selector() }, schedule: { duration: '5m' } });
    await h.waitPhase('first', 'Running');
    const epochA = ea.epoch;
    expect([...agents.createdWithEpoch.values()]).toEqual([epochA, epochA]);

    // a is paused right after its leadership check: its calls wait at the gate and its Lease is not renewed.
    gated.closed = true;
    ea.freeze();
    const second = await h.create('second', { target: { nodeSelector: h.selector() }, schedule: { duration: '5m' } });
    await waitFor('a blocked in its dispatch', async () => (gated.pending > 0 ? true : undefined));
    await waitFor('b to lead', async () => (eb.isLeader ? true : undefined), 10_000);
    expect(ea.canAct).toBe(false);
    const epochB = eb.epoch;
    expect(epochB).toBeGreaterThan(epochA);
    await waitFor('b to start the second Recording on both nodes', async () => {
      const keys = [...agents.createdWithEpoch.keys()].filter((k) => k.endsWith(`${second.metadata.uid ?? ''}-1`));
      return keys.length === 2 ? true : undefined;
    });

    // a resumes: what it had in flight reaches the agents with its old epoch and is refused.
    gated.open();
    await waitFor('a fenced', async () => (fenced > 0 ? true : undefined));
    process.stdout.write(`[operator-fencing] agent refusal: ${agents.refusals[0] ?? ''}\n`);
    expect(agents.refusals[0]).toMatch(new RegExp(`StartSession: stale leader epoch ${epochA} < ${epochB}$`));
    for (const [key, epoch] of agents.createdWithEpoch) {
      expect([key, epoch]).toEqual([key, key.includes(first.metadata.uid ?? '') ? epochA : epochB]);
    }
    expect(agents.created).toBe(4);
  });
});
