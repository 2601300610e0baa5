// podSelector targeting kept current while a Recording runs: pods that come and
// go change the nodes captured on and the pod IPs in each node's filter
// (UpdateSession). Real API server; the agents are the in-memory fake.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeAgents } from './operator-fake-agents.js';
import { OperatorHarness, waitFor } from './operator-harness.js';

const h = new OperatorHarness();

beforeAll(async () => {
  await h.setup([{}, {}]);
});
afterEach(async () => {
  await h.stopAll();
});
afterAll(async () => {
  await h.teardown();
});

/** Creates a pod bound to `node` and, like a kubelet would, gives it `ip` once it runs. */
async function createPod(name: string, node: string, ip: string): Promise<void> {
  await h.core.createNamespacedPod({
    namespace: h.namespace,
    body: {
      metadata: { name, labels: { app: 'checkout' } },
      spec: { nodeName: node, containers: [{ name: 'app', image: 'checkout:1' }] },
    },
  });
  await h.core.patchNamespacedPodStatus(
    { namespace: h.namespace, name, body: { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** The endpoint IPs of the session of `uid` on `node`, once they are `ips` (bpf stays the user's). */
function filterOf(agents: FakeAgents, node: string, uid: string, ips: string[]): Promise<string[]> {
  return waitFor(`endpoint IPs ${ips.join(', ')} on ${node}`, async () => {
    const filter = agents.sessions.get(node)?.get(`${uid}-1`)?.filter;
    return filter?.bpf === 'udp' && JSON.stringify(filter.endpointIps) === JSON.stringify(ips) ? ips : undefined;
  });
}

describe('operator podSelector', () => {
  it('should keep the pod IPs of a running session current as pods come and go, and a padded bpf stable', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    await h.startController(agents);
    const [n0 = '', n1 = ''] = h.nodes;
    await createPod('checkout-a', n0, '10.9.0.1');
    const created = await h.create('pods-move', {
      target: { nodeSelector: h.selector(), podSelector: { matchLabels: { app: 'checkout' } } },
      filter: { bpf: '  udp\n' },
      schedule: { duration: '5m' },
    });
    const uid = created.metadata.uid ?? '';
    await filterOf(agents, n0, uid, ['10.9.0.1']);
    await h.waitPhase('pods-move', 'Running');

    // A matching pod appears on the same node mid-recording: its IP joins that node's filter.
    await createPod('checkout-b', n0, '10.9.0.2');
    await filterOf(agents, n0, uid, ['10.9.0.1', '10.9.0.2']);
    // One on the other node: that node gets a session with its IP.
    await createPod('checkout-c', n1, '10.9.0.3');
    await filterOf(agents, n1, uid, ['10.9.0.3']);
    // A pod goes away: its IP leaves the filter.
    await h.core.deleteNamespacedPod({ namespace: h.namespace, name: 'checkout-a', gracePeriodSeconds: 0 });
    await filterOf(agents, n0, uid, ['10.9.0.2']);

    expect(agents.updates).toEqual([
      { session: `${n0}/${uid}-1`, bpf: 'udp', endpointIps: ['10.9.0.1', '10.9.0.2'] },
      { session: `${n0}/${uid}-1`, bpf: 'udp', endpointIps: ['10.9.0.2'] },
    ]);
    expect(agents.created).toBe(2);
    const running = await h.waitPhase('pods-move', 'Running');
    expect(running.status?.nodes?.map((n) => [n.name, n.phase])).toEqual([
      [n0, 'Capturing'],
      [n1, 'Capturing'],
    ]);
  });
});
