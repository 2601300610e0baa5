import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts } from './ports.js';
import { startProcess, type ManagedProcess } from './processes.js';
import { httpOk, waitUntil } from './readiness.js';

export interface Etcd {
  process: ManagedProcess;
  /** http://127.0.0.1:PORT */
  clientUrl: string;
}

/** Starts a single-member etcd on free loopback ports with a data dir under runDir, and waits until healthy. */
export async function startEtcd(binary: string, runDir: string, timeoutMs = 30_000): Promise<Etcd> {
  const [clientPort, peerPort] = await freePorts(2);
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = join(runDir, 'etcd-data');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const process = await startProcess({
    name: 'etcd',
    command: binary,
    args: [
      '--name=default',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    logDir: runDir,
  });
  await waitUntil(() => httpOk(`${clientUrl}/health`), { what: 'etcd to report healthy', timeoutMs, process });
  return { process, clientUrl };
}
