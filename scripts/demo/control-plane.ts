// The demo's Kubernetes: the test environment's control plane (etcd, kube-apiserver,
// kube-controller-manager) with the Recording CRD installed, a Node object for this machine and
// the namespaces the demo uses.
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startTestEnv } from '../../test/env/test-env.js';
import type { TestEnv } from '../../test/env/test-env.js';
import { cacheDir, tryResolveBinary } from '../../test/env/versions.js';
import { installRecordingCrd } from '../../test/integration/crd-fixtures.js';
import { DemoError, DemoErrorCode } from './errors.js';

const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'] as const;

export interface ControlPlane {
  readonly env: TestEnv;
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
}

/** Fails with one message naming every missing binary and the commands that build them. */
export async function checkBinaries(): Promise<void> {
  const found = await Promise.all(CONTROL_PLANE.map((binary) => tryResolveBinary(binary)));
  const missing = found.flatMap((f) => ('missing' in f ? [f.missing] : []));
  if (missing.length === 0) return;
  throw new DemoError(
    DemoErrorCode.MissingBinaries,
    [
      'The demo runs a local Kubernetes control plane, but its binaries are not built yet:',
      ...missing.map((m) => `  - ${m}`),
      `Build them once (cached in ${cacheDir()}) with \`npm run testenv:build\`,`,
      'or run `bash .ci/run` on a fresh Debian machine (apt packages, binaries, npm ci, tests).',
    ].join('\n'),
  );
}

/** Starts the control plane (call checkBinaries first for a friendly error) and installs the CRD. */
export async function startControlPlane(): Promise<ControlPlane> {
  let env: TestEnv;
  try {
    env = await startTestEnv({ strict: false });
  } catch (error) {
    throw new DemoError(DemoErrorCode.ControlPlane, (error as Error).message, { cause: error });
  }
  const kc = new KubeConfig();
  kc.loadFromFile(env.facts.kubeconfigPath);
  try {
    await installRecordingCrd(kc);
  } catch (error) {
    await env.stop();
    throw new DemoError(DemoErrorCode.ControlPlane, `Installing crds/recording.yaml failed: ${String(error)}`, {
      cause: error,
    });
  }
  return { env, kc, core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

/** The Node object a kubelet would register; its Ready status is written by hand (there is no kubelet). */
export async function registerNode(core: CoreV1Api, name: string): Promise<void> {
  await core.createNode({
    body: { metadata: { name, labels: { 'kubernetes.io/hostname': name, 'tapedeck.dev/demo': 'true' } } },
  });
  const now = new Date();
  await core.patchNodeStatus(
    {
      name,
      body: {
        status: {
          addresses: [
            { type: 'InternalIP', address: '127.0.0.1' },
            { type: 'Hostname', address: name },
          ],
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'Written by npm run demo (there is no kubelet)',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

export async function createNamespaces(core: CoreV1Api, names: readonly string[]): Promise<void> {
  for (const name of names) await core.createNamespace({ body: { metadata: { name } } });
}
