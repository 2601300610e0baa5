// Helpers for tests that need the Recording CRD on the test API server: install the CRD that ships
// (crds/recording.yaml), wait until it is served, read the samples, and turn API errors into their
// Status message. Reusable by the operator's integration tests.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, ApiextensionsV1Api, loadYaml } from '@kubernetes/client-node';
import type { KubeConfig, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { Recording } from '../../operator/api/recording.js';
import { installTenancyPolicy } from './tenancy-fixtures.js';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const crdFile = join(repoRoot, 'crds/recording.yaml');
export const samplesDir = join(repoRoot, 'crds/samples');

const ESTABLISHED_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * The CRD as client-node's model. loadYaml maps `x-kubernetes-*` keys to the model's property names;
 * a plain YAML parse would have the client's serializer silently drop them (and the CEL rules).
 */
export async function readCrd(): Promise<V1CustomResourceDefinition> {
  return loadYaml<V1CustomResourceDefinition>(await readFile(crdFile, 'utf8'));
}

const isEstablished = (crd: V1CustomResourceDefinition): boolean =>
  crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;

/**
 * Creates crds/recording.yaml (and crds/recording-tenancy-policy.yaml), or replaces the installed copies,
 * and waits until the API server reports the CRD Established (served). Returns the installed CRD.
 */
export async function installRecordingCrd(kc: KubeConfig): Promise<V1CustomResourceDefinition> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const body = await readCrd();
  const name = body.metadata?.name ?? '';
  try {
    await api.createCustomResourceDefinition({ body });
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 409) {
      throw error;
    }
    const current = await api.readCustomResourceDefinition({ name });
    body.metadata = { ...body.metadata, resourceVersion: current.metadata?.resourceVersion };
    await api.replaceCustomResourceDefinition({ name, body });
  }
  // The tenancy admission policy ships beside the CRD, and the operator holds node-wide Recordings without it.
  await installTenancyPolicy(kc);
  const deadline = Date.now() + ESTABLISHED_TIMEOUT_MS;
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (isEstablished(crd)) {
      return crd;
    }
    if (Date.now() > deadline) {
      throw new Error(`CRD ${name} not Established after ${ESTABLISHED_TIMEOUT_MS} ms`, { cause: crd.status });
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

export interface Sample {
  file: string;
  recording: Recording;
}

/** Every Recording in crds/samples/, by file name. */
export async function readSamples(): Promise<Sample[]> {
  const files = (await readdir(samplesDir)).filter((file) => file.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (file) => ({
      file,
      recording: parse(await readFile(join(samplesDir, file), 'utf8')) as Recording,
    })),
  );
}

/** The Status message of a rejected API call (the text kubectl prints), or the error's own message. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    try {
      const status = JSON.parse(text) as { message?: unknown };
      if (typeof status.message === 'string') {
        return status.message;
      }
    } catch {
      return text;
    }
    return text;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The HTTP status code of a rejected API call, or undefined for other errors. */
export function apiErrorCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}
