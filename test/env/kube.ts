import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { TestEnvError, TestEnvErrorCode } from './errors.js';
import type { GcsFacts, OptionalBinary, S3Facts, TestEnvFacts } from './facts.js';
import { createNodes, type CreateNodesOptions, type SimulatedNodes } from './nodes.js';

/**
 * Helpers for test files (integration and e2e projects) to reach the environment that
 * global-setup.ts started. Only importable from inside vitest tests.
 */
export function testEnv(): TestEnvFacts {
  return inject('testEnv');
}

/** A KubeConfig for the admin identity of the test API server. */
export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testEnv().kubeconfigPath);
  return kc;
}

export function coreApi(): CoreV1Api {
  return kubeConfig().makeApiClient(CoreV1Api);
}

export function appsApi(): AppsV1Api {
  return kubeConfig().makeApiClient(AppsV1Api);
}

export function customObjectsApi(): CustomObjectsApi {
  return kubeConfig().makeApiClient(CustomObjectsApi);
}

function unavailable(binary: OptionalBinary, facts: TestEnvFacts): TestEnvError {
  const reason = facts.missing[binary] ?? 'not started';
  return new TestEnvError(
    TestEnvErrorCode.Unavailable,
    `${binary} is not available in this test environment: ${reason}`,
  );
}

/** MinIO's connection facts; throws (failing the test, never skipping it) when MinIO was not started. */
export function s3Facts(): S3Facts {
  const facts = testEnv();
  if (!facts.s3) throw unavailable('minio', facts);
  return facts.s3;
}

/** fake-gcs-server's connection facts; throws when it was not started. */
export function gcsFacts(): GcsFacts {
  const facts = testEnv();
  if (!facts.gcs) throw unavailable('fake-gcs-server', facts);
  return facts.gcs;
}

/** createNodes() bound to this run's API server and run id; call destroy() in afterAll/afterEach. */
export function createTestNodes(
  count: number,
  options: Omit<CreateNodesOptions, 'count' | 'kubeConfig' | 'runId'> = {},
): Promise<SimulatedNodes> {
  return createNodes({ ...options, count, kubeConfig: kubeConfig(), runId: testEnv().runId });
}
