// `helm install` of the chart into the real test API server (there is no kubelet, so no pod runs: the
// objects are what is asserted), the operator's certificates checked with openssl, RBAC checked with
// SubjectAccessReviews, certificates kept across `helm upgrade`, and `helm uninstall` removing it all.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import type { V1ResourceAttributes } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import pino from 'pino';
import { RECORDING_GROUP, RECORDING_PLURAL } from '../../operator/api/recording.js';
import { CertificateAuthority } from '../../operator/identity/certificate-authority.js';
import { IdentityIssuer } from '../../operator/identity/identity-issuer.js';
import { runCommand } from '../env/command.js';
import { readCrd } from './crd-fixtures.js';
import { kubeConfig, testEnv } from '../env/kube.js';
import {
  chartDir as chart,
  exists,
  helmRunner,
  recordingCrdName as crdName,
  waitUntil,
  type Helm,
} from './helm-fixtures.js';
import { impersonating } from './tenancy-fixtures.js';

const id = randomBytes(3).toString('hex');
const release = `td-${id}`;
const namespace = `tapedeck-${id}`;
const prefix = `${release}-tapedeck`;
const operatorSa = `system:serviceaccount:${namespace}:${prefix}-operator`;
const secretNames = { ca: `${prefix}-ca`, agent: `${prefix}-agent-tls` };

let helm: Helm;
let certDir: string;
let core: CoreV1Api;
let apps: AppsV1Api;
let rbac: RbacAuthorizationV1Api;
let apiext: ApiextensionsV1Api;
let installOutput = '';

const secretData = async (name: string): Promise<Record<string, string>> =>
  (await core.readNamespacedSecret({ name, namespace })).data ?? {};

/** Writes a Secret's base64 values as PEM files <secret>.<key> and returns the paths by key. */
async function writePem(name: string): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  for (const [key, value] of Object.entries(await secretData(name))) {
    const path = join(certDir, `${name}.${key}`);
    await writeFile(path, Buffer.from(value, 'base64'));
    paths[key] = path;
  }
  return paths;
}

/**
 * The operator's issuer as the operator's ServiceAccount (the chart's RBAC decides), with the CA from the
 * chart's CA Secret as the operator pod mounts it.
 */
async function issueAgentCertificate(agentName: string): Promise<void> {
  const ca = await secretData(secretNames.ca);
  const pem = (key: string): string => Buffer.from(ca[key] ?? '', 'base64').toString();
  await new IdentityIssuer({
    ca: await CertificateAuthority.load(pem('tls.crt'), pem('tls.key')),
    secrets: impersonating(kubeConfig(), operatorSa).makeApiClient(CoreV1Api),
    namespace,
    agentSecret: secretNames.agent,
    agentName,
    operatorIdentity: 'tapedeck-operator',
    ownDir: join(certDir, 'operator-identity'),
    log: pino({ level: 'silent' }),
  }).ensureAgents();
}

const openssl = async (...args: string[]): Promise<string> => (await runCommand('openssl', args)).stdout.trim();

const allowed = async (attributes: V1ResourceAttributes): Promise<boolean> => {
  const review = await kubeConfig()
    .makeApiClient(AuthorizationV1Api)
    .createSubjectAccessReview({ body: { spec: { user: operatorSa, resourceAttributes: attributes } } });
  return review.status?.allowed === true;
};

beforeAll(async () => {
  helm = await helmRunner(`helm-${id}`);
  certDir = join(testEnv().tempDir, `helm-${id}`, 'certs');
  await mkdir(certDir, { recursive: true });
  const kc = kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  apiext = kc.makeApiClient(ApiextensionsV1Api);
});

afterAll(async () => {
  await helm('uninstall', release, '--namespace', namespace).catch(() => undefined);
  await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('helm chart (installed)', () => {
  it('should install into the API server with the CRD, the agent DaemonSet, the operator Deployment and RBAC', async () => {
    const { stdout } = await helm(
      'install',
      release,
      chart,
      '--namespace',
      namespace,
      '--create-namespace',
      '--set',
      'agent.storage.limit=5Gi',
    );
    installOutput = stdout;
    expect(stdout).toContain('STATUS: deployed');

    // The served CRD is the chart's crds/ copy. Helm creates it when absent and leaves an existing one
    // alone; other test files (possibly running in parallel in the e2e project) install the same file, so
    // it is not deleted first.
    const crd = await apiext.readCustomResourceDefinition({ name: crdName });
    const shipped = await readCrd();
    expect(crd.spec.names).toEqual(shipped.spec.names);
    expect(crd.spec.versions.map((v) => v.schema)).toEqual(shipped.spec.versions.map((v) => v.schema));
    await waitUntil('the CRD is Established', async () =>
      ((await apiext.readCustomResourceDefinition({ name: crdName })).status?.conditions ?? []).some(
        (c) => c.type === 'Established' && c.status === 'True',
      ),
    );

    const daemonSet = await apps.readNamespacedDaemonSet({ name: `${prefix}-agent`, namespace });
    const pod = daemonSet.spec?.template.spec;
    expect(pod?.hostNetwork).toBe(true);
    expect(pod?.volumes).toContainEqual({
      name: 'data',
      hostPath: { path: `/var/lib/tapedeck/${namespace}/${release}`, type: 'DirectoryOrCreate' },
    });
    expect(pod?.containers[0]?.securityContext?.capabilities?.add).toEqual(['NET_RAW']);

    const deployment = await apps.readNamespacedDeployment({ name: `${prefix}-operator`, namespace });
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.template.spec?.containers[0]?.readinessProbe?.httpGet?.path).toBe('/readyz');

    expect((await rbac.readClusterRole({ name: `${prefix}-operator` })).rules?.length).toBeGreaterThan(0);
    const binding = await rbac.readClusterRoleBinding({ name: `${prefix}-operator` });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: `${prefix}-operator`, namespace }]);
    expect(await exists(() => rbac.readNamespacedRoleBinding({ name: `${prefix}-operator`, namespace }))).toBe(true);
  });

  it.each([
    { verb: 'watch', resource: 'recordings', group: RECORDING_GROUP, ns: 'shop', allowed: true },
    { verb: 'patch', resource: 'recordings', subresource: 'status', group: RECORDING_GROUP, ns: 'shop', allowed: true },
    { verb: 'update', resource: 'recordings', group: RECORDING_GROUP, ns: 'shop', allowed: false },
    { verb: 'record-nodes', resource: 'recordings', group: RECORDING_GROUP, allowed: false },
    { verb: 'create', resource: 'recordings', group: RECORDING_GROUP, ns: 'shop', allowed: false },
    { verb: 'delete', resource: 'recordings', group: RECORDING_GROUP, ns: 'shop', allowed: false },
    { verb: 'list', resource: 'nodes', group: '', allowed: true },
    { verb: 'watch', resource: 'pods', group: '', ns: 'shop', allowed: true },
    { verb: 'delete', resource: 'pods', group: '', ns: 'shop', allowed: false },
    { verb: 'patch', resource: 'nodes', group: '', allowed: false },
    { verb: 'create', resource: 'events', group: '', ns: 'shop', allowed: true },
    { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', ns: 'own', allowed: true },
    { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', ns: 'kube-system', allowed: false },
    { verb: 'get', resource: 'secrets', group: '', ns: 'shop', allowed: false },
    { verb: 'get', resource: 'secrets', group: '', ns: 'own', allowed: false },
    { verb: 'list', resource: 'secrets', group: '', ns: 'own', allowed: false },
  ])(
    'should let the operator $verb $resource $subresource in $ns: $allowed',
    async ({ verb, resource, subresource, group, ns, allowed: expected }) => {
      const attributes: V1ResourceAttributes = { verb, resource, group, subresource };
      if (ns !== undefined) attributes.namespace = ns === 'own' ? namespace : ns;
      expect(await allowed(attributes)).toBe(expected);
    },
  );

  it('should print NOTES with a sample Recording that the API server accepts', async () => {
    expect(installOutput).toContain('kubectl get rec');
    const sample = /kubectl apply -f - <<'YAML'\n([\s\S]*?)\nYAML\n/.exec(installOutput)?.[1];
    if (sample === undefined) throw new Error(`No sample Recording in NOTES:\n${installOutput}`);
    const body = parse(sample) as { spec: unknown };
    const custom = kubeConfig().makeApiClient(CustomObjectsApi);
    const version = (await apiext.readCustomResourceDefinition({ name: crdName })).spec.versions[0]?.name ?? '';
    const created = (await custom.createNamespacedCustomObject({
      group: RECORDING_GROUP,
      version,
      plural: RECORDING_PLURAL,
      namespace,
      body,
      dryRun: 'All',
    })) as { spec: unknown };
    expect(created.spec).toMatchObject(body.spec as object);
  });

  it('should give the agent a ServiceAccount without a token', async () => {
    const sa = await core.readNamespacedServiceAccount({ name: `${prefix}-agent`, namespace });
    expect(sa.automountServiceAccountToken).toBe(false);
  });

  it("should issue the agents' certificate through the operator's issuer, which openssl verifies against the CA", async () => {
    expect(await secretData(secretNames.agent)).toEqual({ 'ca.crt': '', 'tls.crt': '', 'tls.key': '' });
    await issueAgentCertificate('tapedeck-agent');
    const ca = await writePem(secretNames.ca);
    const agent = await writePem(secretNames.agent);
    expect(
      await openssl('verify', '-CAfile', ca['tls.crt'] ?? '', '-purpose', 'sslserver', agent['tls.crt'] ?? ''),
    ).toBe(`${agent['tls.crt']}: OK`);
    expect(await openssl('x509', '-in', agent['ca.crt'] ?? '', '-noout', '-fingerprint', '-sha256')).toBe(
      await openssl('x509', '-in', ca['tls.crt'] ?? '', '-noout', '-fingerprint', '-sha256'),
    );
    // The key belongs to the certificate.
    expect(await openssl('pkey', '-in', agent['tls.key'] ?? '', '-pubout')).toBe(
      await openssl('x509', '-in', agent['tls.crt'] ?? '', '-noout', '-pubkey'),
    );
    expect(await openssl('x509', '-in', agent['tls.crt'] ?? '', '-noout', '-ext', 'subjectAltName')).toContain(
      'DNS:tapedeck-agent',
    );
  });

  it('should keep the CA and the certificate the operator issued across helm upgrade', async () => {
    const before = await Promise.all(Object.values(secretNames).map(secretData));
    const { stdout } = await helm(
      'upgrade',
      release,
      chart,
      '--namespace',
      namespace,
      '--reuse-values',
      '--set',
      'agent.logLevel=debug',
    );
    expect(stdout).toContain('STATUS: deployed');
    const daemonSet = await apps.readNamespacedDaemonSet({ name: `${prefix}-agent`, namespace });
    expect(daemonSet.spec?.template.spec?.containers[0]?.args).toContain('--log-level=debug');
    expect(await Promise.all(Object.values(secretNames).map(secretData))).toEqual(before);
  });

  it('should have the operator reissue the agents certificate from the same CA when mtls.agentServerName changes', async () => {
    const [ca, agent] = await Promise.all(Object.values(secretNames).map(secretData));
    await helm(
      'upgrade',
      release,
      chart,
      '--namespace',
      namespace,
      '--reuse-values',
      '--set',
      'mtls.agentServerName=agents.tapedeck.example',
    );
    // The chart keeps what is there; the operator, started with the new name, finds it misnamed.
    expect(await secretData(secretNames.agent)).toEqual(agent);
    const deployment = await apps.readNamespacedDeployment({ name: `${prefix}-operator`, namespace });
    expect(deployment.spec?.template.spec?.containers[0]?.args).toContain('--tls-server-name=agents.tapedeck.example');
    await issueAgentCertificate('agents.tapedeck.example');
    const [caAfter, agentAfter] = await Promise.all(Object.values(secretNames).map(secretData));
    expect(caAfter).toEqual(ca);
    expect(agentAfter?.['tls.crt']).not.toBe(agent?.['tls.crt']);
    const pem = await writePem(secretNames.agent);
    expect(await openssl('x509', '-in', pem['tls.crt'] ?? '', '-noout', '-ext', 'subjectAltName')).toContain(
      'DNS:agents.tapedeck.example',
    );
  });

  it('should remove every object with helm uninstall and keep the CRD', async () => {
    await helm('uninstall', release, '--namespace', namespace, '--wait');
    const admission = kubeConfig().makeApiClient(AdmissionregistrationV1Api);
    const policy = `${prefix}-recording-tenancy`;
    const reads: [string, () => Promise<unknown>][] = [
      ['DaemonSet', () => apps.readNamespacedDaemonSet({ name: `${prefix}-agent`, namespace })],
      ['Deployment', () => apps.readNamespacedDeployment({ name: `${prefix}-operator`, namespace })],
      ['ClusterRole', () => rbac.readClusterRole({ name: `${prefix}-operator` })],
      ['ClusterRoleBinding', () => rbac.readClusterRoleBinding({ name: `${prefix}-operator` })],
      ['ClusterRole node-recorder', () => rbac.readClusterRole({ name: `${prefix}-node-recorder` })],
      ['ValidatingAdmissionPolicy', () => admission.readValidatingAdmissionPolicy({ name: policy })],
      ['ValidatingAdmissionPolicyBinding', () => admission.readValidatingAdmissionPolicyBinding({ name: policy })],
      ['Role', () => rbac.readNamespacedRole({ name: `${prefix}-operator`, namespace })],
      ['RoleBinding', () => rbac.readNamespacedRoleBinding({ name: `${prefix}-operator`, namespace })],
      ['ServiceAccount', () => core.readNamespacedServiceAccount({ name: `${prefix}-agent`, namespace })],
      ['ConfigMap', () => core.readNamespacedConfigMap({ name: `${prefix}-operator`, namespace })],
      ['Service', () => core.readNamespacedService({ name: `${prefix}-operator-metrics`, namespace })],
      ...Object.values(secretNames).map((name): [string, () => Promise<unknown>] => [
        `Secret ${name}`,
        () => core.readNamespacedSecret({ name, namespace }),
      ]),
    ];
    for (const [what, read] of reads) {
      await waitUntil(`${what} is deleted`, async () => !(await exists(read)));
    }
    // Helm never deletes CRDs (it would delete every Recording with them).
    expect(await exists(() => apiext.readCustomResourceDefinition({ name: crdName }))).toBe(true);
  });
});
