// Reads a Secret's data for export credentials (decoded). Only the Secrets secret-refs.ts names are
// ever read: the Recording's own namespace, or the operator's for the chart's default destination.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ReadSecret } from './export-grants.js';

export function secretReader(kubeConfig: KubeConfig): ReadSecret {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async (namespace, name) => {
    try {
      const secret = await core.readNamespacedSecret({ namespace, name });
      return Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
      );
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  };
}
