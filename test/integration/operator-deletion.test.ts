// Deleting a Recording while an agent cannot confirm the stop: the finalizer stays
// until that agent is back and confirms, its node is deleted, or the window end
// plus the grace period passed (agents stop at the window end by themselves).
// Real API server; the agents are the fake that behaves like the real agent.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OperatorMetrics } from '../../operator/ops/metrics.js';
import { FakeAgents } from './operator-fake-agents.js';
import { OperatorHarness, coords, waitFor } from './operator-harness.js';

const h = new OperatorHarness();
const GRACE_MS = 1_000;

beforeAll(async () => {
  await h.setup([{}, {}]);
});
afterEach(async () => {
  await h.stopAll();
});
afterAll(async () => {
  await h.teardown();
});

async function gone(name: string, timeoutMs = 20_000): Promise<number> {
  return waitFor(
    `${name} to go away`,
    async () => {
      try {
        await h.get(name);
        return undefined;
      } catch {
        return Date.now();
      }
    },
    timeoutMs,
  );
}

/** Starts a controller and a Recording on both nodes; resolves once both capture, with node 1's agent down. */
async function deletedWithOneAgentDown(name: string, schedule: Record<string, unknown>) {
  const agents = new FakeAgents(new Set(h.nodes));
  const metrics = new OperatorMetrics();
  await h.startController(agents, { metrics, deletionGraceMs: GRACE_MS });
  const created = await h.create(name, { target: { nodeSelector: h.selector() }, schedule });
  await waitFor('both capturing', async () => {
    const r = await h.get(name);
    return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 2 ? r : undefined;
  });
  const down = h.nodes[1] ?? '';
  agents.down.add(down);
  await h.custom.deleteNamespacedCustomObject({ ...coords, namespace: h.namespace, name });
  const reconciles = async (): Promise<number> =>
    (await metrics.reconciles.get()).values.find((v) => v.labels.result === 'success')?.value ?? 0;
  const before = await reconciles();
  await waitFor('three reconciles of the deleted Recording', async () =>
    (await reconciles()) >= before + 3 ? true : undefined,
  );
  return { agents, down, uid: created.metadata.uid ?? '' };
}

describe('operator deletion while an agent is unreachable', () => {
  it('should keep the finalizer until the agent is back and confirms the stop', async () => {
    const { agents, down, uid } = await deletedWithOneAgentDown('until-back', { duration: '5m' });
    const held = await h.get('until-back');
    expect(held.metadata.finalizers).toContain('tapedeck.dev/stop-sessions');
    expect(agents.sessions.get(h.nodes[0] ?? '')?.get(`${uid}-1`)?.state).toBe('Stopped');
    expect(agents.sessions.get(down)?.get(`${uid}-1`)?.state).toBe('Running');

    agents.down.delete(down);
    await gone('until-back');
    expect(agents.sessions.get(down)?.get(`${uid}-1`)?.state).toBe('Stopped');
  });

  it('should release the finalizer when the unreachable node is deleted', async () => {
    const { down } = await deletedWithOneAgentDown('node-gone', { duration: '5m' });
    expect((await h.get('node-gone')).metadata.finalizers).toContain('tapedeck.dev/stop-sessions');
    await h.core.deleteNode({ name: down });
    await gone('node-gone');
    h.nodes.splice(h.nodes.indexOf(down), 1);
    await h.addNode(down);
  });

  it('should release the finalizer at the window end plus the grace period', async () => {
    const start = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1_000);
    const duration = 6;
    await deletedWithOneAgentDown('window-end', {
      startTime: start.toISOString().replace('.000Z', 'Z'),
      duration: `${duration}s`,
    });
    const at = await gone('window-end', 30_000);
    expect(at).toBeGreaterThanOrEqual(start.getTime() + duration * 1000 + GRACE_MS);
  });
});
