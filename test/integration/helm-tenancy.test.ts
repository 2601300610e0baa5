// The chart's tenancy and Secret-access objects rendered without a cluster: the admission policy equal to
// the repository's crds/recording-tenancy-policy.yaml, and operator.secretAccess's two modes.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { helmRunner, renderChart, type Helm, type Manifest } from './helm-fixtures.js';
import { tenancyPolicyFile } from './tenancy-fixtures.js';

let helm: Helm;
beforeAll(async () => {
  helm = await helmRunner('helm-tenancy');
});

const names = (manifests: Manifest[]): string[] =>
  manifests.map((m) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`).sort();

describe('helm chart tenancy objects (rendered)', () => {
  it('should render the same policy and binding as crds/recording-tenancy-policy.yaml, named after the release', async () => {
    const shipped = parseAllDocuments(await readFile(tenancyPolicyFile, 'utf8')).map((d) => d.toJS() as Manifest);
    const rendered = (await renderChart(helm)).filter((m) => m.kind.startsWith('ValidatingAdmissionPolicy'));
    expect(rendered.map((m) => m.metadata.name)).toEqual([
      'td-tapedeck-recording-tenancy',
      'td-tapedeck-recording-tenancy',
    ]);
    const normalise = (m: Manifest): unknown =>
      JSON.parse(JSON.stringify({ kind: m.kind, spec: m.spec }).replaceAll('td-tapedeck-recording-tenancy', 'NAME'));
    const expected = shipped.map((m) =>
      JSON.parse(JSON.stringify({ kind: m.kind, spec: m.spec }).replaceAll('tapedeck-recording-tenancy', 'NAME')),
    );
    expect(rendered.map(normalise)).toEqual(expected);
  });

  it('should render no tenancy policy with tenancy.policy.enabled=false', async () => {
    const manifests = await renderChart(helm, '--set', 'tenancy.policy.enabled=false');
    expect(manifests.filter((m) => m.kind.startsWith('ValidatingAdmissionPolicy'))).toEqual([]);
  });

  const secretAccess = async (...args: string[]): Promise<string[]> =>
    names((await renderChart(helm, ...args)).filter((m) => m.metadata.name.endsWith('-secrets')));

  it.each<[string, string[], string[]]>([
    ['no Secret access by default', [], []],
    [
      'a RoleBinding in each listed namespace',
      ['--set', 'operator.secretAccess.namespaces={shop,web}'],
      [
        'ClusterRole//td-tapedeck-operator-secrets',
        'RoleBinding/shop/td-tapedeck-operator-secrets',
        'RoleBinding/web/td-tapedeck-operator-secrets',
      ],
    ],
    [
      'one ClusterRoleBinding in mode cluster',
      ['--set', 'operator.secretAccess.mode=cluster'],
      ['ClusterRole//td-tapedeck-operator-secrets', 'ClusterRoleBinding//td-tapedeck-operator-secrets'],
    ],
  ])('should render %s', async (_case, args, expected) => {
    expect(await secretAccess(...args)).toEqual(expected);
  });

  it("should let the operator get only the default destination's Secret and update only the agents' certificate", async () => {
    const role = (await renderChart(helm, ...['--set', 'export.destination=gcs', '--set', 'export.gcs.bucket=traffic']))
      .concat(
        await renderChart(
          helm,
          '--set',
          'export.destination=gcs',
          '--set',
          'export.gcs.bucket=traffic',
          '--set',
          'export.gcs.credentialsSecret=gcs-key',
        ),
      )
      .filter((m) => m.kind === 'Role')
      .map((m) => (m as unknown as { rules: { resources: string[]; resourceNames?: string[] }[] }).rules);
    const agentCertificate = {
      apiGroups: [''],
      resources: ['secrets'],
      resourceNames: ['td-tapedeck-agent-tls'],
      verbs: ['get', 'update'],
    };
    expect(role[0]?.filter((r) => r.resources.includes('secrets'))).toEqual([agentCertificate]);
    expect(role[1]?.filter((r) => r.resources.includes('secrets'))).toEqual([
      agentCertificate,
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['gcs-key'], verbs: ['get'] },
    ]);
  });
});
