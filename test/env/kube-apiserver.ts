import { readFile } from 'node:fs/promises';
import { httpsOk } from './https-probe.js';
import type { Pki } from './pki.js';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './processes.js';
import { waitUntil } from './readiness.js';

/** The Service CIDR of the test cluster; the first address is the `kubernetes` Service. */
export const serviceClusterIpRange = '10.96.0.0/24';
export const kubernetesServiceIp = '10.96.0.1';

export interface KubeApiServer {
  process: ManagedProcess;
  /** https://127.0.0.1:PORT */
  url: string;
}

/**
 * Starts kube-apiserver on a free loopback port with RBAC (and the Node authorizer), client-certificate
 * authentication against the test CA, and service-account token signing; waits for /readyz (which includes
 * RBAC's bootstrap roles).
 */
export async function startKubeApiServer(
  binary: string,
  runDir: string,
  etcdUrl: string,
  pki: Pki,
  timeoutMs = 60_000,
): Promise<KubeApiServer> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const process = await startProcess({
    name: 'kube-apiserver',
    command: binary,
    args: [
      '--advertise-address=127.0.0.1',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${runDir}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--etcd-servers=${etcdUrl}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      '--allow-privileged=true',
      // No kubelet mounts tokens here, and pods created right after their namespace would race the
      // service-account controller (envtest disables this plugin too).
      '--disable-admission-plugins=ServiceAccount',
      '--profiling=false',
    ],
    logDir: runDir,
  });
  const ca = await readFile(pki.caCert, 'utf8');
  await waitUntil(() => httpsOk(`${url}/readyz`, ca), { what: 'kube-apiserver /readyz', timeoutMs, process });
  return { process, url };
}
