// Tenancy end to end: a tenant (an impersonated user with a Role in its namespace) records its pods with
// a podSelector; the real operator and a real agent in a simulated node capture. Pods of another
// namespace with the same labels (real addresses in the node's network namespace) and a hostNetwork pod
// send on the same node too: the file holds only packets to or from the tenant's pod IPs. Then, with the
// admission policy's binding removed, the operator refuses a node-wide Recording (condition and Event).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AdmissionregistrationV1Api,
  CustomObjectsApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDING_API_VERSION } from '../../operator/api/recording.js';
import type { SessionReport } from '../../operator/dispatch/agent-client.js';
import type { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import { createTestNodes } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { directAgents, startNodeAgents, startOperatorProcess } from '../e2e/operator-processes.js';
import type { OperatorProcess } from '../e2e/operator-processes.js';
import { makePki } from './agent-pki.js';
import type { AgentProcess } from './agent-process.js';
import { netnsUdpSender, tsharkCount } from './agent-traffic.js';
import { OperatorHarness, coords, waitFor } from './operator-harness.js';
import { TENANCY_POLICY, impersonating, installTenancyPolicy } from './tenancy-fixtures.js';

const PORT = 5441;
const SENT = 150;
const h = new OperatorHarness();
const other = `other-${h.run}`;
const tenant = `tenant-${h.run}`;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
let dir = '';
let sim: SimulatedNodes | undefined;
let agents: AgentProcess[] = [];
let direct: GrpcAgentClient | undefined;
let operator: OperatorProcess | undefined;

/** Sends `count` datagrams from `source` (an address of the namespace) to `target`; the script is a constant. */
const BOUND_SENDER = `
const socket = require('node:dgram').createSocket('udp4');
const [source, target, port, count] = process.argv.slice(1);
socket.bind({ address: source }, () => {
  let sent = 0;
  const timer = setInterval(() => {
    for (let n = 0; n < 10 && sent < Number(count); n += 1, sent += 1) socket.send(Buffer.alloc(32), Number(port), target);
    if (sent >= Number(count)) { clearInterval(timer); setTimeout(() => socket.close(), 200); }
  }, 2);
});
`;
function boundSender(netns: string, source: string, target: string, count: number): Promise<number | null> {
  const args = [
    'netns',
    'exec',
    netns,
    process.execPath,
    '-e',
    BOUND_SENDER,
    source,
    target,
    String(PORT),
    String(count),
  ];
  const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** A pod labelled app=shop bound to `node` with `ip`, its status written as a kubelet would. */
async function createPod(
  namespace: string,
  name: string,
  node: string,
  ip: string,
  hostNetwork = false,
): Promise<void> {
  await h.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app: 'shop' } },
      spec: { nodeName: node, hostNetwork, containers: [{ name: 'app', image: 'shop:1' }] },
    },
  });
  const status = { phase: 'Running', podIP: ip, podIPs: [{ ip }] };
  await h.core.patchNamespacedPodStatus({ namespace, name, body: { status } }, mergePatch);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-tenancy-'));
  await h.setup([]);
  await h.core.createNamespace({ body: { metadata: { name: other } } });
  const rbac = h.kc.makeApiClient(RbacAuthorizationV1Api);
  const rules = [{ apiGroups: ['tapedeck.dev'], resources: ['recordings'], verbs: ['create', 'get', 'delete'] }];
  await rbac.createNamespacedRole({ namespace: h.namespace, body: { metadata: { name: 'recorder' }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace: h.namespace,
    body: {
      metadata: { name: 'recorder' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'recorder' },
      subjects: [{ kind: 'User', name: tenant, apiGroup: 'rbac.authorization.k8s.io' }],
    },
  });
  sim = await createTestNodes(2, { labels: () => ({ 'op-run': h.run }) });
  const pki = await makePki(dir);
  agents = await startNodeAgents(h, sim.nodes, pki, dir);
  direct = await directAgents(sim.nodes, agents, pki);
  operator = await startOperatorProcess(h, pki, 'tenancy', {
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 250,
  });
  await operator.leading;
});

afterAll(async () => {
  direct?.close();
  operator?.child.kill('SIGKILL');
  await Promise.all(agents.map((a) => a.stop()));
  await sim?.destroy();
  await installTenancyPolicy(h.kc);
  await h.core.deleteNamespace({ name: other }).catch(() => undefined);
  await h.teardown();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('tenancy with the real operator and agents', () => {
  it("should record only packets to or from the tenant's own pod IPs", async () => {
    const [a, b] = sim?.nodes ?? [];
    if (a === undefined || b === undefined || direct === undefined) throw new Error('no setup');
    const agentApi = direct;
    const net = a.ip.split('.').slice(0, 3).join('.');
    const [mine, theirs] = [`${net}.201`, `${net}.202`];
    for (const ip of [mine, theirs]) await a.run('ip', ['addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    await createPod(h.namespace, 'shop-mine', a.name, mine);
    await createPod(other, 'shop-theirs', a.name, theirs);
    // Same labels, the tenant's namespace, but the host's network: its IP is node a's.
    await createPod(h.namespace, 'shop-host', a.name, a.ip, true);

    const created = (await impersonating(h.kc, tenant)
      .makeApiClient(CustomObjectsApi)
      .createNamespacedCustomObject({
        ...coords,
        namespace: h.namespace,
        body: {
          apiVersion: RECORDING_API_VERSION,
          kind: 'Recording',
          metadata: { name: 'shop' },
          spec: {
            target: { nodeSelector: h.selector(), podSelector: { matchLabels: { app: 'shop' } }, interfaces: ['eth0'] },
            filter: { bpf: `udp port ${PORT}` },
            schedule: { duration: '2m' },
            output: { formats: ['pcap'] },
            // The file is read after the Recording is deleted (Delete, the default, would remove it).
            retention: { onDelete: { local: 'Retain' } },
          },
        },
      })) as { metadata: { uid: string } };
    const session = async (): Promise<SessionReport | undefined> =>
      (await agentApi.listSessions(a.name)).find((s) => s.recordingUid === created.metadata.uid);
    await waitFor('a session on node a', session);
    // Only the tenant's pod IP narrows the filter (in the bpf or as endpoint IPs, whichever the agent API uses).
    const filter = JSON.stringify((await session())?.filter);
    const address = (ip: string): RegExp => new RegExp(`${ip.replaceAll('.', '\\.')}(?![0-9])`);
    expect(filter).toMatch(address(mine));
    expect(filter).not.toMatch(address(theirs));
    expect(filter).not.toMatch(address(a.ip));

    const senders = await Promise.all([
      netnsUdpSender(b.netns, SENT, [`${mine}:${PORT}`, `${theirs}:${PORT}`, `${a.ip}:${PORT}`]),
      boundSender(a.netns, mine, b.ip, SENT),
      boundSender(a.netns, theirs, b.ip, SENT),
      boundSender(a.netns, a.ip, b.ip, SENT),
    ]);
    expect(senders).toEqual([0, 0, 0, 0]);
    await waitFor('every packet of the tenant', async () =>
      (await session())?.packetsCaptured === 2 * SENT ? true : undefined,
    );
    await h.custom.deleteNamespacedCustomObject({ ...coords, namespace: h.namespace, name: 'shop' });
    const final = await waitFor('the session to stop', async () => {
      const s = await session();
      return s?.state === 'Stopped' ? s : undefined;
    });
    const file = final.files[0]?.path ?? '';
    expect(await tsharkCount(file)).toBe(2 * SENT);
    expect(await tsharkCount(file, `ip.dst == ${mine}`)).toBe(SENT);
    expect(await tsharkCount(file, `ip.src == ${mine}`)).toBe(SENT);
    expect(await tsharkCount(file, `ip.addr == ${theirs} || ip.addr == ${a.ip}`)).toBe(0);
  });

  it('should refuse a node-wide Recording when the policy binding is gone, with PolicyMissing and an Event', async () => {
    const admission = h.kc.makeApiClient(AdmissionregistrationV1Api);
    await admission.deleteValidatingAdmissionPolicyBinding({ name: TENANCY_POLICY });
    await h.create('whole-node', { target: { nodeSelector: h.selector() }, schedule: { duration: '1m' } });
    const held = await waitFor('PolicyMissing', async () => {
      const r = await h.get('whole-node');
      return r.status?.conditions?.find((c) => c.type === 'PolicyMissing' && c.status === 'True');
    });
    expect(held.message).toContain(`ValidatingAdmissionPolicyBinding ${TENANCY_POLICY} does not exist`);
    expect((await h.get('whole-node')).status?.phase).toBe('Pending');
    const events = await h.eventsWith('whole-node', ['PolicyMissing']);
    expect(events.find((e) => e.reason === 'PolicyMissing')?.type).toBe('Warning');
    const uid = (await h.get('whole-node')).metadata.uid;
    for (const node of sim?.nodes ?? []) {
      expect((await direct!.listSessions(node.name)).filter((s) => s.recordingUid === uid)).toEqual([]);
    }
    console.log(`PolicyMissing: ${held.message}`);
    // With the binding back, the same Recording runs.
    await installTenancyPolicy(h.kc);
    await h.waitPhase('whole-node', 'Running', 30_000);
  });
});
