// The chart's mTLS wiring rendered without a cluster: key file modes (0400 for the agent's uid 0, 0440
// with fsGroup for the operator's non-root user), the client identities the agents serve, and distinct
// names on the generated certificates (checked with openssl).
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
  volumes: { name: string; secret?: { secretName: string; defaultMode?: number } }[];
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
    expect(agent.volumes.find((v) => v.name === 'tls')?.secret?.defaultMode).toBe(0o400);
    expect(operator.volumes.find((v) => v.name === 'tls')?.secret?.defaultMode).toBe(0o440);
    expect(operator.securityContext).toMatchObject({ runAsUser: 65532, fsGroup: 65532 });
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

  it('should issue the operator and the agents certificates with distinct names', async () => {
    const secrets = (await renderChart(helm)).filter((m) => m.kind === 'Secret');
    const subject = async (name: string): Promise<string> => {
      const pem = Buffer.from(secrets.find((s) => s.metadata.name === name)?.data?.['tls.crt'] ?? '', 'base64');
      const child = run('openssl', ['x509', '-noout', '-subject', '-ext', 'subjectAltName']);
      child.child.stdin?.end(pem);
      return (await child).stdout;
    };
    expect(await subject('td-tapedeck-operator-tls')).toMatch(/CN ?= ?tapedeck-operator[\s\S]*DNS:tapedeck-operator/);
    const agent = await subject('td-tapedeck-agent-tls');
    expect(agent).toMatch(/CN ?= ?tapedeck-agent[\s\S]*DNS:tapedeck-agent/);
    expect(agent).not.toContain('tapedeck-operator');
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
