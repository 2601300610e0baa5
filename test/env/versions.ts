import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestEnvError, TestEnvErrorCode } from './errors.js';

/** Pinned versions: change here and in test/env/build-tools.sh together (a unit test compares them). */
export const versions = {
  kubernetes: '1.35.4',
  etcd: '3.6.14',
  helm: '3.21.4',
  minio: 'v0.0.0-20260212201848-7aac2a2c5b7c', // newest commit on the Go module proxy (see build-tools.sh)
  'fake-gcs-server': '1.55.1',
  mc: 'v0.0.0-20250313080218-cf909e1063a9', // MinIO's admin client, newest on the module proxy (disables users)
  grpcurl: '1.9.3',
  hubble: '1.18.11', // the github.com/cilium/cilium module (hubble CLI + recorder-client, see build-tools.sh)
} as const;
export type Tool = keyof typeof versions;

/** Every binary the test environment uses, and the tool (cache folder) that builds it. */
export const binaries = {
  etcd: 'etcd',
  'kube-apiserver': 'kubernetes',
  'kube-controller-manager': 'kubernetes',
  kubectl: 'kubernetes',
  helm: 'helm',
  minio: 'minio',
  'fake-gcs-server': 'fake-gcs-server',
  mc: 'mc',
  grpcurl: 'grpcurl',
  hubble: 'hubble',
  'recorder-client': 'hubble',
} as const satisfies Record<string, Tool>;
export type Binary = keyof typeof binaries;

/** The envtest convention: a directory holding etcd, kube-apiserver and kubectl. */
const kubebuilderBinaries: ReadonlySet<Binary> = new Set([
  'etcd',
  'kube-apiserver',
  'kubectl',
  'kube-controller-manager',
]);

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['TAPEDECK_CACHE'] ?? join(homedir(), '.cache', 'tapedeck');
}

/** Where a binary is expected: $KUBEBUILDER_ASSETS/<bin> for the control plane when set, else the build cache. */
export function candidatePaths(binary: Binary, env: NodeJS.ProcessEnv = process.env): string[] {
  const tool = binaries[binary];
  const cached = join(cacheDir(env), 'bin', tool, versions[tool], binary);
  const assets = env['KUBEBUILDER_ASSETS'];
  return assets && kubebuilderBinaries.has(binary) ? [join(assets, binary), cached] : [cached];
}

/** The command that builds a tool into the cache. */
export function buildCommand(binary: Binary): string {
  return `bash test/env/build-tools.sh ${binaries[binary]}`;
}

/** Resolves a binary's path or throws a TestEnvError naming the binary and how to build it. */
export async function resolveBinary(binary: Binary, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidates = candidatePaths(binary, env);
  for (const path of candidates) {
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // try the next candidate
    }
  }
  throw new TestEnvError(
    TestEnvErrorCode.BinaryMissing,
    `Missing test binary ${binary} (looked in ${candidates.join(', ')}); build it with: ${buildCommand(binary)}`,
  );
}

/** Resolves a binary, or returns the error's message when it is missing. */
export async function tryResolveBinary(binary: Binary): Promise<{ path: string } | { missing: string }> {
  try {
    return { path: await resolveBinary(binary) };
  } catch (err) {
    if (err instanceof TestEnvError) return { missing: err.message };
    throw err;
  }
}
