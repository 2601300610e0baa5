// The chart rendered without a cluster: `helm lint`, `helm template`, the chart's CRD copy equal to
// crds/recording.yaml, and the rendered command lines accepted by the operator's and the agent's own
// flag parsers (so chart and binaries cannot drift apart).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseFlags as parseAgentFlags } from '../../agent/config/flags.js';
import { parseFlags as parseOperatorFlags } from '../../operator/config/flags.js';
import {
  chartDir as chart,
  helmRunner,
  kubeVersionArgs,
  renderChart,
  repoRoot as root,
  type Helm,
  type Manifest,
} from './helm-fixtures.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Container {
  args: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: { privileged?: boolean; capabilities?: { add?: string[]; drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; subPathExpr?: string }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[]; hostNetwork?: boolean; volumes: Record<string, unknown>[] };
}

let helm: Helm;

const render = (...args: string[]): Promise<Manifest[]> => renderChart(helm, ...args);

const find = (manifests: Manifest[], kind: string, name: string): Manifest => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined) throw new Error(`${kind} ${name} not rendered`);
  return found;
};

const podTemplate = (m: Manifest): PodTemplate => (m.spec as { template: PodTemplate }).template;

/** The container's args with Kubernetes' $(VAR) expansion, fieldRef variables set to `fields`. */
const expandedArgs = (container: Container, fields: Record<string, string>): string[] => {
  const vars = new Map<string, string>();
  for (const v of container.env ?? []) {
    const path = v.valueFrom?.fieldRef?.fieldPath;
    vars.set(v.name, path !== undefined ? (fields[path] ?? '') : (v.value ?? ''));
  }
  return container.args.map((arg) => arg.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => vars.get(name) ?? ''));
};

beforeAll(async () => {
  helm = await helmRunner('helm-render');
});

describe('helm chart (rendered)', () => {
  it('should pass helm lint --strict', async () => {
    const { stdout } = await helm('lint', '--strict', chart, ...kubeVersionArgs);
    expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it("should render the operator, the agent, RBAC, the tenancy policy, the mTLS CA and the agents' Secret", async () => {
    const manifests = await render();
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ClusterRole/td-tapedeck-node-recorder',
      'ClusterRole/td-tapedeck-operator',
      'ClusterRoleBinding/td-tapedeck-operator',
      'ConfigMap/td-tapedeck-operator',
      'DaemonSet/td-tapedeck-agent',
      'Deployment/td-tapedeck-operator',
      'PodDisruptionBudget/td-tapedeck-operator',
      'Role/td-tapedeck-operator',
      'RoleBinding/td-tapedeck-operator',
      'Secret/td-tapedeck-agent-tls',
      'Secret/td-tapedeck-ca',
      'Service/td-tapedeck-operator-metrics',
      'ServiceAccount/td-tapedeck-agent',
      'ServiceAccount/td-tapedeck-operator',
      'ValidatingAdmissionPolicy/td-tapedeck-recording-tenancy',
      'ValidatingAdmissionPolicyBinding/td-tapedeck-recording-tenancy',
    ]);
    for (const m of manifests) {
      expect(m.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'tapedeck',
        'app.kubernetes.io/instance': 'td',
        'app.kubernetes.io/managed-by': 'Helm',
      });
    }
  });

  it('should keep agent data on the node under /var/lib/tapedeck by default and capture with NET_RAW only', async () => {
    const agent = podTemplate(find(await render('--set', 'agent.storage.limit=5Gi'), 'DaemonSet', 'td-tapedeck-agent'));
    expect(agent.spec.hostNetwork).toBe(true);
    // Survives pod replacement (helm upgrade): one directory per release under one fixed base.
    expect(agent.spec.volumes).toContainEqual({
      name: 'data',
      hostPath: { path: '/var/lib/tapedeck/tapedeck-system/td', type: 'DirectoryOrCreate' },
    });
    const container = agent.spec.containers[0];
    expect(container?.securityContext).toMatchObject({
      privileged: false,
      capabilities: { drop: ['ALL'], add: ['NET_RAW'] },
    });
  });

  it.each([
    [['agent.storage.type=emptyDir'], { name: 'data', emptyDir: { sizeLimit: '5Gi' } }, undefined],
    [
      ['agent.storage.type=persistentVolumeClaim', 'agent.storage.claimName=tapedeck-data'],
      { name: 'data', persistentVolumeClaim: { claimName: 'tapedeck-data' } },
      '$(NODE_NAME)',
    ],
  ])('should render the data volume for %j', async (sets, volume, subPathExpr) => {
    const args = ['agent.storage.limit=5Gi', ...sets].flatMap((s) => ['--set', s]);
    const agent = podTemplate(find(await render(...args), 'DaemonSet', 'td-tapedeck-agent'));
    expect(agent.spec.volumes).toContainEqual(volume);
    const mount = agent.spec.containers[0]?.volumeMounts?.find((m) => m.name === 'data');
    expect(mount?.mountPath).toBe('/var/lib/tapedeck');
    expect(mount?.subPathExpr).toBe(subPathExpr);
  });

  it('should mount existing mTLS Secrets instead of generating any', async () => {
    const manifests = await render(
      '--set',
      'mtls.existingSecrets.agent=agent-certs',
      '--set',
      'mtls.existingSecrets.operator=operator-certs',
    );
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    const agent = podTemplate(find(manifests, 'DaemonSet', 'td-tapedeck-agent'));
    expect(agent.spec.volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'agent-certs', defaultMode: 0o400 },
    });
    const operator = podTemplate(find(manifests, 'Deployment', 'td-tapedeck-operator'));
    expect(operator.spec.volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'operator-certs', defaultMode: 0o440 },
    });
  });

  it('should hand the default export destination to the operator in spec.export shape', async () => {
    const manifests = await render(
      '--set',
      'export.destination=s3',
      '--set',
      'export.s3.bucket=traffic',
      '--set',
      'export.s3.prefix=prod',
      '--set',
      'export.s3.credentialsSecret=s3-creds',
    );
    const config = find(manifests, 'ConfigMap', 'td-tapedeck-operator');
    expect(JSON.parse(config.data?.['export-defaults.json'] ?? '')).toEqual({
      s3: {
        bucket: 'traffic',
        prefix: 'prod',
        region: '',
        endpoint: '',
        forcePathStyle: false,
        credentialsSecret: { name: 's3-creds' },
      },
    });
  });

  it('should render the chart CRD copy equal to crds/recording.yaml', async () => {
    const manifests = await render('--include-crds');
    const crd = manifests.find((m) => m.kind === 'CustomResourceDefinition');
    expect(crd).toEqual(parse(await readFile(join(root, 'crds/recording.yaml'), 'utf8')));
  });

  it('should render command lines that the agent and the operator accept', async () => {
    const manifests = await render();
    const agentPod = podTemplate(find(manifests, 'DaemonSet', 'td-tapedeck-agent'));
    const agentContainer = agentPod.spec.containers[0];
    if (agentContainer === undefined) throw new Error('agent container not rendered');
    const agent = parseAgentFlags(expandedArgs(agentContainer, { 'spec.nodeName': 'node-a' }), {});
    expect(agent).toMatchObject({ nodeName: 'node-a', listen: '0.0.0.0:9443', dataDir: '/var/lib/tapedeck' });

    const operatorContainer = podTemplate(find(manifests, 'Deployment', 'td-tapedeck-operator')).spec.containers[0];
    if (operatorContainer === undefined) throw new Error('operator container not rendered');
    const operator = parseOperatorFlags(
      expandedArgs(operatorContainer, { 'metadata.name': 'op-1', 'metadata.namespace': 'tapedeck-system' }),
      {},
    );
    expect(operator).toMatchObject({
      namespace: 'tapedeck-system',
      identity: 'op-1',
      agentNamespace: 'tapedeck-system',
      agentPort: 9443,
      tls: { serverName: 'tapedeck-agent' },
      tenancy: { policyName: 'td-tapedeck-recording-tenancy', nodeWideNamespaces: [] },
    });
    // The operator finds agents by their pods' labels and the port named "grpc".
    for (const [key, value] of Object.entries(operator.agentLabels)) {
      expect(agentPod.metadata.labels[key]).toBe(value);
    }
    expect(agentContainer.ports).toContainEqual({ name: 'grpc', containerPort: 9443, protocol: 'TCP' });
  });
});
