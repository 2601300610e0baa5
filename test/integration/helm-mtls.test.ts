// The chart's mTLS wiring rendered without a cluster: key file modes (0400 for the agent's uid 0, 0440
// with fsGroup for the operator's non-root user), the client identities the agents serve, and by default
// a CA (checked with openssl) that only the operator mounts, issuing the certificates itself.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { helmRunner, renderChart, type Helm, type Manifest } from './helm-fixtures.js';

const run = promisify(execFile);
let helm: Helm;
beforeAll(async () => {
  helm = await helmRunner('helm-mtls');
});

interface Pod {
  securityContext?: { fsGroup?: number; runAsUser?: number };
  containers: { args: string[] }[];
  volumes: {
    name: string;
    secret?: { secretName: string; defaultMode?: number };
    emptyDir?: { medium?: string; sizeLimit?: string };
  }[];
}
const pod = (manifests: Manifest[], kind: string): Pod => {
  const m = manifests.find((x) => x.kind === kind);
  return (m?.spec as { template: { spec: Pod } }).template.spec;
};

describe('helm chart mTLS (rendered)', () => {
  it('should mount the agent key 0400 and the operator key 0440 readable through fsGroup', async () => {
    const manifests = await renderChart(helm);
    const agent = pod(manifests, 'DaemonSet');
    const operator = pod(manifests, 'Deployment');
    expect(agent.volumes.find((v) => v.name === 'tls')?.secret).toEqual({
      secretName: 'td-tapedeck-agent-tls',
      defaultMode: 0o400,
    });
    // By default the operator holds the CA key (0440, its group) and keeps what it issues itself in memory.
    expect(operator.volumes.find((v) => v.name === 'ca')?.secret).toEqual({
      secretName: 'td-tapedeck-ca',
      defaultMode: 0o440,
    });
    expect(operator.volumes.find((v) => v.name === 'identity')?.emptyDir).toEqual({
      medium: 'Memory',
      sizeLimit: '1Mi',
    });
    expect(operator.securityContext).toMatchObject({ runAsUser: 65532, fsGroup: 65532 });
    // With certificates of its own (existingSecrets, cert-manager) it mounts its client certificate 0440.
    const own = pod(
      await renderChart(helm, '--set', 'mtls.existingSecrets.agent=a', '--set', 'mtls.existingSecrets.operator=o'),
      'Deployment',
    );
    expect(own.volumes.find((v) => v.name === 'tls')?.secret).toEqual({ secretName: 'o', defaultMode: 0o440 });
    expect(own.volumes.find((v) => v.name === 'ca')).toBeUndefined();
  });

  it("should let the agents serve the operator's identity and the listed clients only", async () => {
    const agent = pod(
      await renderChart(helm, '--set', 'agent.allowedClients={hubble-ops,spiffe://ops/hubble}'),
      'DaemonSet',
    );
    expect(agent.containers[0]?.args.filter((a) => a.startsWith('--allow-client'))).toEqual([
      '--allow-client=tapedeck-operator',
      '--allow-client=hubble-ops',
      '--allow-client=spiffe://ops/hubble',
    ]);
  });

  it('should generate only a CA and an empty agent Secret, and have the operator issue from that CA', async () => {
    const manifests = await renderChart(helm, '--set', 'mtls.certificateDays=30');
    const secrets = manifests.filter((m) => m.kind === 'Secret');
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual(['td-tapedeck-agent-tls', 'td-tapedeck-ca']);
    const ca = Buffer.from(
      secrets.find((s) => s.metadata.name === 'td-tapedeck-ca')?.data?.['tls.crt'] ?? '',
      'base64',
    );
    const child = run('openssl', ['x509', '-noout', '-subject', '-ext', 'basicConstraints']);
    child.child.stdin?.end(ca);
    expect((await child).stdout).toMatch(/CN ?= ?td-tapedeck CA[\s\S]*CA:TRUE/);
    // Nothing for the agents to mount until the operator fills it (Sprig could only make dual-purpose ones).
    expect(secrets.find((s) => s.metadata.name === 'td-tapedeck-agent-tls')?.data).toEqual({
      'ca.crt': '',
      'tls.crt': '',
      'tls.key': '',
    });
    const args = pod(manifests, 'Deployment').containers[0]?.args ?? [];
    expect(
      args.filter((a) => /^--(issuer|agent-secret|identity-dir|operator-identity|certificate-days|tls-)/.test(a)),
    ).toEqual([
      '--issuer-ca-cert=/etc/tapedeck/ca/tls.crt',
      '--issuer-ca-key=/etc/tapedeck/ca/tls.key',
      '--agent-secret=td-tapedeck-agent-tls',
      '--identity-dir=/var/run/tapedeck/identity',
      '--operator-identity=tapedeck-operator',
      '--certificate-days=30',
      '--tls-server-name=tapedeck-agent',
    ]);
  });

  const certManager = [
    '--set',
    'mtls.certManager.enabled=true',
    '--set',
    'mtls.certManager.issuerRef.name=tapedeck-ca',
  ];
  const usages = (manifests: Manifest[]): Record<string, unknown> =>
    Object.fromEntries(
      manifests
        .filter((m) => m.kind === 'Certificate')
        .map((m) => [m.metadata.name, (m.spec as { usages: string[] }).usages]),
    );

  it('should have cert-manager issue a server-only agent and a client-only operator certificate', async () => {
    const manifests = await renderChart(helm, ...certManager);
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    expect(usages(manifests)).toEqual({
      'td-tapedeck-agent-tls': ['digital signature', 'server auth'],
      'td-tapedeck-operator-tls': ['digital signature', 'client auth'],
    });
  });

  it("should give every agent pod its own key pair with cert-manager's csi-driver", async () => {
    const manifests = await renderChart(helm, ...certManager, '--set', 'mtls.certManager.agentCsiDriver=true');
    expect(usages(manifests)).toEqual({ 'td-tapedeck-operator-tls': ['digital signature', 'client auth'] });
    const volume = pod(manifests, 'DaemonSet').volumes.find((v) => v.name === 'tls') as unknown as {
      csi: { driver: string; volumeAttributes: Record<string, string> };
    };
    expect(volume.csi.driver).toBe('csi.cert-manager.io');
    expect(volume.csi.volumeAttributes).toMatchObject({
      'csi.cert-manager.io/issuer-name': 'tapedeck-ca',
      'csi.cert-manager.io/dns-names': 'tapedeck-agent',
      'csi.cert-manager.io/key-usages': 'server auth,digital signature',
    });
  });
});
