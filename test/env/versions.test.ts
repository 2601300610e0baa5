import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestEnvErrorCode } from './errors.js';
import { candidatePaths, resolveBinary, versions, type Tool } from './versions.js';

const script = readFileSync(new URL('./build-tools.sh', import.meta.url), 'utf8');

function pinned(variable: string): string | undefined {
  return new RegExp(`^${variable}=(\\S+)`, 'm').exec(script)?.[1];
}

describe('versions', () => {
  it.each<[Tool, string]>([
    ['kubernetes', 'K8S_VERSION'],
    ['etcd', 'ETCD_VERSION'],
    ['helm', 'HELM_VERSION'],
    ['minio', 'MINIO_VERSION'],
    ['fake-gcs-server', 'FAKE_GCS_VERSION'],
    ['mc', 'MC_VERSION'],
    ['grpcurl', 'GRPCURL_VERSION'],
    ['hubble', 'CILIUM_VERSION'],
  ])('should pin %s to the version build-tools.sh builds', (tool, variable) => {
    expect(versions[tool]).toBe(pinned(variable));
  });

  it('should look in KUBEBUILDER_ASSETS first for control-plane binaries', () => {
    const env = { KUBEBUILDER_ASSETS: '/assets', TAPEDECK_CACHE: '/cache' };
    expect(candidatePaths('kube-apiserver', env)).toEqual([
      '/assets/kube-apiserver',
      '/cache/bin/kubernetes/1.35.4/kube-apiserver',
    ]);
    expect(candidatePaths('etcd', env)[0]).toBe('/assets/etcd');
  });

  it('should ignore KUBEBUILDER_ASSETS for tools envtest does not ship', () => {
    const env = { KUBEBUILDER_ASSETS: '/assets', TAPEDECK_CACHE: '/cache' };
    expect(candidatePaths('minio', env)).toEqual([`/cache/bin/minio/${versions.minio}/minio`]);
  });

  it('should name the missing binary and the build command', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'tapedeck-versions-'));
    try {
      const error = await resolveBinary('fake-gcs-server', { TAPEDECK_CACHE: cache }).catch((err: unknown) => err);
      expect(error).toMatchObject({ code: TestEnvErrorCode.BinaryMissing });
      expect(String((error as Error).message)).toContain('fake-gcs-server');
      expect(String((error as Error).message)).toContain('bash test/env/build-tools.sh fake-gcs-server');
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
