import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExitCleanup } from './cleanup.js';
import { startEtcd } from './etcd.js';
import type { BinaryPaths, OptionalBinary, TestEnvFacts } from './facts.js';

type Missing = TestEnvFacts['missing'];
import { kubernetesServiceIp, startKubeApiServer } from './kube-apiserver.js';
import { startKubeControllerManager } from './kube-controller-manager.js';
import { writeAdminKubeconfig } from './kubeconfig.js';
import { startFakeGcs, startMinio } from './object-stores.js';
import { createPki } from './pki.js';
import { RunRecord, sweepStaleRuns, tempDirPrefix } from './stale-runs.js';
import type { ManagedProcess } from './processes.js';
import { resolveBinary, tryResolveBinary } from './versions.js';

export interface TestEnvOptions {
  /** When true a missing optional binary (minio, fake-gcs-server, helm, grpcurl) fails the start. Default: CI=true. */
  strict?: boolean;
  /** Keep the temp dir (logs, data) after stop. Default: TAPEDECK_KEEP_TESTENV=1. */
  keepTempDir?: boolean;
  /** Receives progress lines ("Started etcd"...). */
  log?: (message: string) => void;
}

/** A running control plane plus object stores. */
export interface TestEnv {
  facts: TestEnvFacts;
  /** Milliseconds from start to ready. */
  startupMs: number;
  /** Stops every process (reverse start order) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

async function optionalBinary(binary: OptionalBinary, strict: boolean, missing: Missing): Promise<string | null> {
  if (strict) return resolveBinary(binary);
  const found = await tryResolveBinary(binary);
  if ('path' in found) return found.path;
  missing[binary] = found.missing;
  return null;
}

/**
 * Starts etcd, MinIO and fake-gcs-server in parallel, then kube-apiserver (after etcd), then
 * kube-controller-manager; writes an admin kubeconfig. On failure everything started is stopped and the
 * error names the temp dir holding the logs (kept for inspection).
 */
export async function startTestEnv(options: TestEnvOptions = {}): Promise<TestEnv> {
  const began = Date.now();
  const strict = options.strict ?? process.env['CI'] === 'true';
  const keep = options.keepTempDir ?? process.env['TAPEDECK_KEEP_TESTENV'] === '1';
  const log = options.log ?? (() => undefined);
  const missing: Missing = {};
  const [etcdBin, apiBin, kcmBin, kubectl] = await Promise.all(
    (['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'] as const).map((b) => resolveBinary(b)),
  );
  const minioBin = await optionalBinary('minio', strict, missing);
  const gcsBin = await optionalBinary('fake-gcs-server', strict, missing);
  const bin: BinaryPaths = {
    kubectl: kubectl!,
    helm: await optionalBinary('helm', strict, missing),
    grpcurl: await optionalBinary('grpcurl', strict, missing),
  };

  await sweepStaleRuns();
  const runId = randomBytes(3).toString('hex');
  const tempDir = await mkdtemp(join(tmpdir(), `${tempDirPrefix}${runId}-`));
  const record = new RunRecord(tempDir);
  const unregisterRm = keep ? () => undefined : onExitCleanup(() => rmSync(tempDir, { recursive: true, force: true }));
  const started: ManagedProcess[] = [];
  const track = async <T extends { process: ManagedProcess }>(component: T): Promise<T> => {
    started.push(component.process);
    await record.addProcess(component.process.pid, component.process.command);
    log(`Started ${component.process.name} pid=${component.process.pid}`);
    return component;
  };
  const stopAll = async (): Promise<void> => {
    for (const p of started.splice(0).reverse()) await p.stop();
  };

  try {
    const pkiPromise = createPki(tempDir, kubernetesServiceIp);
    const etcdPromise = startEtcd(etcdBin!, tempDir).then(track);
    const minioPromise = minioBin ? startMinio(minioBin, tempDir).then(track) : Promise.resolve(null);
    const gcsPromise = gcsBin ? startFakeGcs(gcsBin, tempDir).then(track) : Promise.resolve(null);
    const settled = await Promise.allSettled([pkiPromise, etcdPromise, minioPromise, gcsPromise]);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const pki = await pkiPromise;
    const etcd = await etcdPromise;
    const apiServer = await track(await startKubeApiServer(apiBin!, tempDir, etcd.clientUrl, pki));
    const kubeconfigPath = await writeAdminKubeconfig(join(tempDir, 'kubeconfig'), apiServer.url, pki);
    await track(await startKubeControllerManager(kcmBin!, tempDir, kubeconfigPath, pki));
    const facts: TestEnvFacts = {
      runId,
      tempDir,
      kubeconfigPath,
      apiServerUrl: apiServer.url,
      s3: (await minioPromise)?.facts ?? null,
      gcs: (await gcsPromise)?.facts ?? null,
      bin,
      missing,
    };
    if (keep) await record.markKept();
    let stopped = false;
    return {
      facts,
      startupMs: Date.now() - began,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
        if (!keep) await rm(tempDir, { recursive: true, force: true });
        unregisterRm();
      },
    };
  } catch (err) {
    await stopAll();
    unregisterRm();
    await record.markKept().catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`Test environment failed to start (logs kept in ${tempDir}): ${message}`, { cause: err });
  }
}
