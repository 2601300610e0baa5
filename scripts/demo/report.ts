// The demo's result: the Recording as `kubectl get rec` shows it, its status as YAML, and every
// pcap/pcapng file its node rows name, found in the agent's data dir and counted with capinfos.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { Recording } from '../../operator/api/recording.js';
import { DemoError, DemoErrorCode } from './errors.js';

const run = promisify(execFile);
const CAPTURE_FORMATS: ReadonlySet<string> = new Set(['pcap', 'pcapng']);

export interface CaptureFile {
  readonly node: string;
  readonly path: string;
  readonly packets: number;
}

/** `kubectl get rec -o wide` for the Recording, as text. */
export async function kubectlGetRec(kubectl: string, kubeconfig: string, recording: Recording): Promise<string> {
  const { stdout } = await run(
    kubectl,
    ['get', 'rec', '-n', recording.metadata.namespace ?? 'default', recording.metadata.name ?? '', '-o', 'wide'],
    { env: { ...process.env, KUBECONFIG: kubeconfig } },
  );
  return stdout.trimEnd();
}

export function statusYaml(recording: Recording): string {
  return stringify({ status: recording.status ?? {} }).trimEnd();
}

async function filesByName(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return new Map(entries.filter((e) => e.isFile()).map((e) => [e.name, path.join(e.parentPath, e.name)]));
}

/** capinfos' packet count of one capture file. */
export async function capinfosPackets(file: string): Promise<number> {
  const { stdout } = await run('capinfos', ['-c', '-M', file]);
  const match = /Number of packets:\s*(\d+)/.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`capinfos printed no packet count for ${file}: ${stdout}`);
  return Number(match[1]);
}

/** Every pcap/pcapng file of the Recording's node rows, located under `dataDir` and counted. */
export async function captureFiles(recording: Recording, dataDir: string): Promise<CaptureFile[]> {
  const onDisk = await filesByName(dataDir);
  const result: CaptureFile[] = [];
  for (const row of recording.status?.nodes ?? []) {
    for (const file of row.files ?? []) {
      if (!CAPTURE_FORMATS.has(file.format)) continue;
      const found = onDisk.get(file.name);
      if (found === undefined) {
        throw new DemoError(DemoErrorCode.Files, `Node ${row.name} reports ${file.name}, but it is not in ${dataDir}`);
      }
      const packets = await capinfosPackets(found).catch((error: unknown) => {
        throw new DemoError(DemoErrorCode.Files, `capinfos cannot read ${found}: ${String(error)}`, { cause: error });
      });
      result.push({ node: row.name, path: found, packets });
    }
  }
  return result;
}
