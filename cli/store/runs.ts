// Finds exported runs in a bucket through their manifests:
//   <prefix>/<namespace>/<recording>/<uid8>/<iteration>/<node>/manifest.json
import { MANIFEST_NAME } from '../../core/manifest/object-key.js';
import { parseManifest } from '../../core/manifest/manifest.js';
import type { Manifest } from '../../core/manifest/manifest.js';
import { CliError } from '../cli-error.js';
import type { ObjectStore } from './object-store.js';
import { formatStoreUrl } from './store-url.js';

export interface NodeManifest {
  readonly namespace: string;
  readonly recording: string;
  /** The run: first 8 hex digits of the Recording's uid. */
  readonly run: string;
  readonly iteration: number;
  readonly node: string;
  readonly key: string;
  readonly manifest: Manifest;
}

export interface RecordingFilter {
  readonly namespace?: string;
  readonly recording?: string;
}

const PARALLEL_READS = 8;

export async function findNodeManifests(store: ObjectStore, filter: RecordingFilter = {}): Promise<NodeManifest[]> {
  const base = store.url.prefix ? `${store.url.prefix}/` : '';
  const scope = filter.namespace ? `${filter.namespace}/${filter.recording ? `${filter.recording}/` : ''}` : '';
  const keys = (await store.list(base + scope)).map((o) => o.key).filter((k) => k.endsWith(`/${MANIFEST_NAME}`));
  const refs = keys.flatMap((key) => {
    const parts = key.slice(base.length).split('/');
    if (parts.length !== 6 || !/^\d+$/.test(parts[3]!)) return [];
    const [namespace, recording, run, iteration, node] = parts as [string, string, string, string, string];
    return [{ namespace, recording, run, iteration: Number(iteration), node, key }];
  });
  const out: NodeManifest[] = [];
  for (let i = 0; i < refs.length; i += PARALLEL_READS) {
    const batch = refs.slice(i, i + PARALLEL_READS);
    const texts = await Promise.all(batch.map((r) => store.readText(r.key)));
    batch.forEach((ref, j) => {
      try {
        out.push({ ...ref, manifest: parseManifest(texts[j]!, formatStoreUrl(store.url, ref.key)) });
      } catch (error) {
        throw new CliError('input', (error as Error).message, { cause: error });
      }
    });
  }
  return out;
}

export interface RunSelection {
  readonly run?: string;
  readonly iteration?: number;
  readonly nodes?: readonly string[];
}

/** One run and iteration of one recording: the newest unless asked otherwise. */
export function selectIteration(
  all: readonly NodeManifest[],
  what: string,
  where: string,
  selection: RunSelection,
): NodeManifest[] {
  if (all.length === 0) {
    throw new CliError(
      'notFound',
      `No exported recording ${what} under ${where}; \`tapedeck ls ${where}\` lists what is there`,
    );
  }
  const newest = (list: readonly NodeManifest[]): NodeManifest =>
    list.reduce((a, b) => (a.manifest.updated >= b.manifest.updated ? a : b));
  const run = selection.run ?? newest(all).run;
  const ofRun = all.filter((m) => m.run === run);
  if (ofRun.length === 0)
    throw new CliError(
      'notFound',
      `Recording ${what} has no run ${run} under ${where} (runs: ${[...new Set(all.map((m) => m.run))].join(', ')})`,
    );
  const iteration = selection.iteration ?? Math.max(...ofRun.map((m) => m.iteration));
  let chosen = ofRun.filter((m) => m.iteration === iteration);
  if (chosen.length === 0) {
    throw new CliError(
      'notFound',
      `Recording ${what} run ${run} has no iteration ${iteration} (iterations: ${[...new Set(ofRun.map((m) => m.iteration))].sort((a, b) => a - b).join(', ')})`,
    );
  }
  if (selection.nodes && selection.nodes.length > 0) {
    const missing = selection.nodes.filter((n) => !chosen.some((m) => m.node === n));
    if (missing.length > 0)
      throw new CliError(
        'notFound',
        `Recording ${what} iteration ${iteration} has no node ${missing.join(', ')} (nodes: ${chosen.map((m) => m.node).join(', ')})`,
      );
    chosen = chosen.filter((m) => selection.nodes!.includes(m.node));
  }
  return chosen.sort((a, b) => a.node.localeCompare(b.node));
}
