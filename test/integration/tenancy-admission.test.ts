// Who may record what, at admission: the shipped ValidatingAdmissionPolicy on the real API server with
// RBAC, requests made as impersonated users. The rights come from the chart's own ClusterRoles.
import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { KubeConfig, V1ClusterRole, V1PolicyRule } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDING_API_VERSION } from '../../operator/api/recording.js';
import { kubeConfig } from '../env/kube.js';
import { apiErrorCode, apiErrorMessage, installRecordingCrd } from './crd-fixtures.js';
import { helmRunner, renderChart } from './helm-fixtures.js';
import { coords, waitFor } from './operator-harness.js';
import { impersonating } from './tenancy-fixtures.js';

const id = randomBytes(3).toString('hex');
const nsA = `tenant-a-${id}`;
const users = { tenant: `tenant-${id}`, star: `star-${id}`, admin: `admin-${id}`, operator: `operator-${id}` };
const admin = kubeConfig();
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
const core = admin.makeApiClient(CoreV1Api);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const podSpec = { target: { podSelector: { matchLabels: { app: 'shop' } } } };
const nodeSpec = { target: { nodeSelector: { matchLabels: { pool: 'web' } } } };

const recordings = (user: string): CustomObjectsApi => impersonating(admin, user).makeApiClient(CustomObjectsApi);

async function create(user: string, name: string, spec: object, dryRun = false): Promise<unknown> {
  return recordings(user).createNamespacedCustomObject({
    ...coords,
    namespace: nsA,
    body: { apiVersion: RECORDING_API_VERSION, kind: 'Recording', metadata: { name }, spec },
    ...(dryRun ? { dryRun: 'All' } : {}),
  });
}

/** The rejection of a call as [HTTP code, message], or [0, ''] when it succeeded. */
const rejection = (call: Promise<unknown>): Promise<[number, string]> =>
  call.then(
    (): [number, string] => [0, ''],
    (error: unknown): [number, string] => [apiErrorCode(error) ?? -1, apiErrorMessage(error)],
  );

async function bindInA(user: string, rules: V1PolicyRule[]): Promise<void> {
  const name = `${user}-role`;
  await rbac.createNamespacedRole({ namespace: nsA, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace: nsA,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }],
    },
  });
}

/** Creates the chart's ClusterRole `name` (suffixed with this run's id) and binds it cluster-wide to `user`. */
async function bindChartClusterRole(chart: V1ClusterRole[], name: string, user: string): Promise<void> {
  const role = chart.find((r) => r.metadata?.name === name);
  if (role === undefined) throw new Error(`the chart renders no ClusterRole ${name}`);
  const own = `${name}-${id}`;
  await rbac.createClusterRole({ body: { metadata: { name: own }, rules: role.rules ?? [] } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: own },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: own },
      subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }],
    },
  });
}

let kc: KubeConfig;

beforeAll(async () => {
  kc = admin;
  await installRecordingCrd(kc);
  await core.createNamespace({ body: { metadata: { name: nsA } } });
  await core.createNamespacedSecret({ namespace: nsA, body: { metadata: { name: 'mine' }, stringData: { k: 'v' } } });
  await core.createNamespacedSecret({ namespace: nsA, body: { metadata: { name: 'admins' }, stringData: { k: 'v' } } });
  const recordingRights = {
    apiGroups: ['tapedeck.dev'],
    resources: ['recordings'],
    verbs: ['create', 'get', 'update', 'patch'],
  };
  await bindInA(users.tenant, [
    recordingRights,
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['mine'], verbs: ['get'] },
  ]);
  await bindInA(users.star, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
  await bindInA(users.admin, [recordingRights]);
  const chart = (await renderChart(await helmRunner(`tenancy-${id}`))).filter((m) => m.kind === 'ClusterRole');
  await bindChartClusterRole(chart as V1ClusterRole[], 'td-tapedeck-node-recorder', users.admin);
  await bindChartClusterRole(chart as V1ClusterRole[], 'td-tapedeck-operator', users.operator);
  // The API server loads a new policy asynchronously: wait until it rejects.
  await waitFor('the tenancy policy to be enforced', async () => {
    const [code] = await rejection(create(users.tenant, 'probe', nodeSpec, true));
    return code === 403 ? true : undefined;
  });
});

afterAll(async () => {
  for (const name of ['td-tapedeck-node-recorder', 'td-tapedeck-operator'].map((n) => `${n}-${id}`)) {
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
  }
  await core.deleteNamespace({ name: nsA }).catch(() => undefined);
});

describe('tenancy admission policy', () => {
  it.each([
    { who: 'a tenant with create recordings in its namespace', user: users.tenant },
    { who: "a tenant whose Role grants verbs ['*'] on everything in its namespace", user: users.star },
  ])('should reject a node-wide Recording by $who, naming the missing right', async ({ user }) => {
    const [code, message] = await rejection(create(user, `nodes-${user}`, nodeSpec));
    expect(code).toBe(403);
    expect(message).toContain(`user ${user} lacks the cluster-wide right record-nodes on recordings.tapedeck.dev`);
    expect(message).toContain(`set spec.target.podSelector to record only pods of namespace ${nsA}`);
  });

  it.each([users.tenant, users.star])('should accept a Recording with a podSelector by %s', async (user) => {
    expect(await rejection(create(user, `pods-${user}`, podSpec))).toEqual([0, '']);
  });

  it('should let a holder of the chart ClusterRole node-recorder record whole nodes', async () => {
    expect(await rejection(create(users.admin, 'admin-nodes', nodeSpec))).toEqual([0, '']);
  });

  it('should reject a tenant that edits the spec of an admin node-wide Recording', async () => {
    const patch = recordings(users.tenant).patchNamespacedCustomObject(
      { ...coords, namespace: nsA, name: 'admin-nodes', body: { spec: { filter: { bpf: 'udp' } } } },
      mergePatch,
    );
    const [code, message] = await rejection(patch);
    expect(code).toBe(403);
    expect(message).toContain('lacks the cluster-wide right record-nodes');
  });

  it("should let the operator's ClusterRole add a finalizer and write status of a node-wide Recording", async () => {
    const api = recordings(users.operator);
    const at = { ...coords, namespace: nsA, name: 'admin-nodes' };
    const finalizer = { metadata: { finalizers: ['tapedeck.dev/stop-sessions'] } };
    expect(await rejection(api.patchNamespacedCustomObject({ ...at, body: finalizer }, mergePatch))).toEqual([0, '']);
    const status = { status: { phase: 'Pending' } };
    expect(await rejection(api.patchNamespacedCustomObjectStatus({ ...at, body: status }, mergePatch))).toEqual([
      0,
      '',
    ]);
  });

  it('should reject a Recording naming a Secret its creator cannot get, naming the Secret', async () => {
    const spec = (secret: string): object => ({
      ...podSpec,
      export: { s3: { bucket: 'traffic', credentialsSecret: { name: secret } } },
    });
    const [code, message] = await rejection(create(users.tenant, 'steal', spec('admins')));
    expect(code).toBe(403);
    expect(message).toContain(`user ${users.tenant} may not get Secret admins in namespace ${nsA}`);
    expect(await rejection(create(users.tenant, 'own-secret', spec('mine')))).toEqual([0, '']);
    const sink = {
      ...podSpec,
      output: {
        formats: ['json'],
        sinks: [{ name: 'r', redis: { address: 'r:6379', key: 'k', passwordSecret: { name: 'admins' } } }],
      },
    };
    const [sinkCode, sinkMessage] = await rejection(create(users.tenant, 'steal-sink', sink));
    expect([sinkCode, sinkMessage]).toEqual([403, expect.stringContaining('passwordSecret (admins)') as string]);
  });

  it("should reject spec.export without credentialsSecret (the agents' ambient identity) from a tenant", async () => {
    const spec = { ...podSpec, export: { s3: { bucket: 'traffic' } } };
    const [code, message] = await rejection(create(users.tenant, 'ambient', spec));
    expect(code).toBe(403);
    expect(message).toContain('lacks the cluster-wide right export-ambient on recordings.tapedeck.dev');
    expect(await rejection(create(users.admin, 'ambient-admin', spec))).toEqual([0, '']);
  });
});
