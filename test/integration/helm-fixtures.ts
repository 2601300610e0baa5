// Helpers for the chart's tests (helm*.test.ts): run the helm binary the test environment built, with its
// cache and config inside the run's temp dir, and small polling helpers for the real API server.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { RECORDING_GROUP, RECORDING_PLURAL } from '../../operator/api/recording.js';
import { runCommand, type CommandResult } from '../env/command.js';
import { testEnv } from '../env/kube.js';
import { versions } from '../env/versions.js';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const chartDir = join(repoRoot, 'helm/tapedeck');
export const recordingCrdName = `${RECORDING_PLURAL}.${RECORDING_GROUP}`;
/** Helm checks the chart's kubeVersion against 1.20 without a cluster: render for the test API server's version. */
export const kubeVersionArgs = ['--kube-version', versions.kubernetes] as const;

const WAIT_TIMEOUT_MS = 60_000;
const POLL_MS = 200;

export type Helm = (...args: string[]) => Promise<CommandResult>;

/**
 * A helm runner (argument arrays, no shell) talking to the test API server. Fails, never skips, when
 * the environment has no helm binary.
 */
export async function helmRunner(name: string): Promise<Helm> {
  const facts = testEnv();
  const path = facts.bin.helm;
  if (path === null) throw new Error(`helm is not available: ${facts.missing.helm ?? 'not built'}`);
  const home = join(facts.tempDir, name);
  await mkdir(home, { recursive: true });
  const env = {
    ...process.env,
    KUBECONFIG: facts.kubeconfigPath,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  return (...args) => runCommand(path, args, { env });
}

export interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** `helm template` of the chart as release `td` in tapedeck-system, parsed. */
export async function renderChart(helm: Helm, ...args: string[]): Promise<Manifest[]> {
  const { stdout } = await helm(
    'template',
    'td',
    chartDir,
    '--namespace',
    'tapedeck-system',
    ...kubeVersionArgs,
    ...args,
  );
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** The failure text of a command expected to fail ('' when it succeeded). */
export const failureOf = (call: Promise<unknown>): Promise<string> =>
  call.then(
    () => '',
    (error: unknown) => String(error),
  );

export const isNotFound = (error: unknown): boolean => error instanceof ApiException && error.code === 404;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Resolves true when `read` finds the object, false on 404; rethrows anything else. */
export const exists = (read: () => Promise<unknown>): Promise<boolean> =>
  read().then(
    () => true,
    (error: unknown) => {
      if (isNotFound(error)) return false;
      throw error;
    },
  );

export async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await sleep(POLL_MS);
  }
}
