// A Recording over 5000 nodes with 253-character names and 3 files each, 300 of whose agents reject
// the session: every status patch the operator writes is accepted by the real API
// server, healthy rows fold into status.nodeCounts, the failed ones stay listed, and
// the status stays within 1 MiB. The agents are the in-memory fake (5000 processes
// would not fit this machine); the Kubernetes API is real.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorMetrics } from '../../operator/ops/metrics.js';
import { MAX_STATUS_BYTES } from '../../operator/controller/status-bound.js';
import { FakeAgents } from './operator-fake-agents.js';
import { OperatorHarness, waitFor } from './operator-harness.js';

const NODES = 5000;
const FAILING = 300;
const CONCURRENCY = 32;
const h = new OperatorHarness();

/** A valid 253-character node name (DNS subdomain: labels of at most 63 characters). */
function longName(i: number): string {
  const head = `scale-${h.run}-${String(i).padStart(4, '0')}`;
  const labels = [head];
  while (labels.join('.').length < 253) labels.push('n'.repeat(Math.min(62, 253 - labels.join('.').length - 1)));
  return labels.join('.').slice(0, 253);
}

async function pool<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const names = Array.from({ length: NODES }, (_, i) => longName(i));

beforeAll(async () => {
  await h.setup([]);
  const now = new Date().toISOString();
  await pool(names, async (name) => {
    await h.core.createNode({
      body: {
        metadata: { name, labels: { 'op-run': h.run, scale: 'yes' } },
        status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: now as never }] },
      },
    });
  });
}, 600_000);

afterAll(async () => {
  await h.stopAll();
  await h.core.deleteCollectionNode({ labelSelector: `op-run=${h.run}` });
  await h.teardown();
}, 120_000);

describe('operator status at scale', () => {
  it('should keep every status patch of a 5000-node Recording with 300 failing nodes within 1 MiB', async () => {
    expect(names[0]).toHaveLength(253);
    const agents = new FakeAgents(new Set(names));
    agents.filesPerSession = 3;
    for (const name of names.slice(0, FAILING)) agents.rejecting.add(name);
    const metrics = new OperatorMetrics();
    await h.startController(agents, { metrics });
    await h.create('big', { target: { nodeSelector: h.selector({ scale: 'yes' }) }, schedule: { duration: '10m' } });

    const r = await waitFor(
      'every node capturing or failed',
      async () => {
        const rec = await h.get('big');
        const c = rec.status?.nodeCounts;
        const written = ((await metrics.statusPatches.get()).values[0]?.value ?? 0) > 0;
        return written && c?.capturing === NODES - FAILING && c.failed === FAILING ? rec : undefined;
      },
      120_000,
    );
    const statusBytes = Buffer.byteLength(JSON.stringify(r.status));
    const objectBytes = Buffer.byteLength(JSON.stringify(r));
    const patches = (await metrics.statusPatches.get()).values[0]?.value ?? 0;
    const patchBytes = (await metrics.statusPatchBytes.get()).values[0]?.value ?? 0;
    const failedReconciles =
      (await metrics.reconciles.get()).values.find((v) => v.labels.result === 'error')?.value ?? 0;
    process.stdout.write(
      `[operator-scale] ${NODES} nodes (253-character names), ${FAILING} failing: status ${statusBytes} bytes, ` +
        `object ${objectBytes} bytes, ${r.status?.nodes?.length} rows listed, ${patches} status patches ` +
        `(${patchBytes} bytes), ${failedReconciles} failed reconciles\n`,
    );
    expect(objectBytes).toBeLessThanOrEqual(MAX_STATUS_BYTES);
    expect(failedReconciles).toBe(0);
    expect(patches).toBeGreaterThan(0);
    expect(r.status).toMatchObject({
      phase: 'Running',
      nodesReady: `${NODES - FAILING}/${NODES}`,
      nodeCounts: { targeted: NODES, capturing: NODES - FAILING, failed: FAILING, folded: NODES - FAILING },
    });
    expect(r.status?.nodes?.map((n) => n.name)).toEqual(names.slice(0, FAILING));
    const ready = r.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).toMatch(/^300 nodes failed: scale-\S+, scale-\S+, scale-\S+ and 297 more \(/);
    const warnings = (await h.events('big')).filter((e) => e.reason === 'NodeFailed');
    expect(warnings.length).toBeLessThanOrEqual(1);

    // Worst case: every other agent stops answering, so no row is healthy any more.
    for (const name of names) agents.down.add(name);
    const worst = await waitFor(
      'every capturing node Unreachable',
      async () => {
        const rec = await h.get('big');
        return rec.status?.nodeCounts?.unreachable === NODES - FAILING ? rec : undefined;
      },
      120_000,
    );
    const worstStatus = Buffer.byteLength(JSON.stringify(worst.status));
    const worstObject = Buffer.byteLength(JSON.stringify(worst));
    const errors = (await metrics.reconciles.get()).values.find((v) => v.labels.result === 'error')?.value ?? 0;
    process.stdout.write(
      `[operator-scale] all ${NODES} rows unhealthy: status ${worstStatus} bytes, object ${worstObject} bytes, ` +
        `${worst.status?.nodes?.length} rows listed, ${worst.status?.nodeCounts?.folded} folded, ${errors} failed reconciles\n`,
    );
    expect(worstStatus).toBeLessThanOrEqual(MAX_STATUS_BYTES);
    expect(errors).toBe(0);
    expect(worst.status?.nodes?.slice(0, FAILING).every((n) => n.phase === 'Failed')).toBe(true);
  }, 300_000);
});
