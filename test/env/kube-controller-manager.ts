import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { httpsOk } from './https-probe.js';
import type { Pki } from './pki.js';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './processes.js';
import { waitUntil } from './readiness.js';

/**
 * Controllers that make sense without kubelets: garbage collection of owned objects, namespace deletion,
 * the `default` ServiceAccount per namespace and its token controller. Node lifecycle is left out on
 * purpose: it would mark the simulated Nodes NotReady since nothing renews their leases.
 */
export const defaultControllers = [
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
] as const;

export interface KubeControllerManager {
  process: ManagedProcess;
}

export async function startKubeControllerManager(
  binary: string,
  runDir: string,
  kubeconfigPath: string,
  pki: Pki,
  controllers: readonly string[] = defaultControllers,
  timeoutMs = 60_000,
): Promise<KubeControllerManager> {
  const port = await freePort();
  const certDir = join(runDir, 'kube-controller-manager-certs');
  await mkdir(certDir, { recursive: true });
  const process = await startProcess({
    name: 'kube-controller-manager',
    command: binary,
    args: [
      `--kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
      `--controllers=${controllers.join(',')}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      '--profiling=false',
    ],
    logDir: runDir,
  });
  // Self-signed serving cert: the probe only checks liveness, not identity.
  await waitUntil(() => httpsOk(`https://127.0.0.1:${port}/healthz`, undefined), {
    what: 'kube-controller-manager /healthz',
    timeoutMs,
    process,
  });
  return { process };
}
