// The export side of a Recording's status, from what the agents report per node: the row's export
// summary, the Exported condition, status.artifacts (bounded: every node manifest first, then files
// until the CRD's 1000 entries, with artifactsTruncated when files were left out) and the Exporting
// phase (capture done, uploads still under way).
import type { SessionReport } from '../dispatch/agent-client.js';
import type { Condition, NodeRow, RecordingStatus } from './recording-view.js';
import { summarize } from './status-bound.js';

export const MAX_ARTIFACTS = 1000;

type Artifact = NonNullable<RecordingStatus['artifacts']>[number];
type RowExport = NonNullable<NodeRow['export']>;

/** The row's export summary from the agent's report (undefined: the session exports nothing). */
export function rowExport(report: SessionReport): RowExport | undefined {
  const e = report.export;
  if (e === undefined) return undefined;
  const out: RowExport = {
    filesPending: e.filesPending,
    filesExported: e.filesExported,
    manifest: e.manifestUrl,
    complete: e.manifestComplete,
  };
  if (e.lastError !== '') out.error = `${e.lastErrorCode}: ${e.lastError}`.slice(0, 1024);
  if (e.filesExpiredUnexported > 0) out.expiredUnexported = e.filesExpiredUnexported;
  return out;
}

/** true while some row's export is not complete. */
export function exporting(rows: readonly NodeRow[]): boolean {
  return rows.some((r) => r.export !== undefined && r.export.complete !== true);
}

/** The Exported condition's fields; undefined when nothing in the Recording exports. */
export function exportedCondition(
  rows: readonly NodeRow[],
): Omit<Condition, 'type' | 'lastTransitionTime' | 'observedGeneration'> | undefined {
  const exportingRows = rows.filter((r) => r.export !== undefined);
  if (exportingRows.length === 0) return undefined;
  const failing = exportingRows.filter((r) => (r.export?.error ?? '') !== '');
  if (failing.length > 0) {
    const first = failing[0]!;
    return {
      status: 'False',
      reason: 'ExportFailing',
      message: `${summarize(
        'failing to export (retrying; files kept on the node)',
        failing.map((r) => r.name),
      )} (${first.name}: ${first.export?.error ?? ''})`.slice(0, 4096),
    };
  }
  const pending = exportingRows.reduce((n, r) => n + (r.export?.filesPending ?? 0), 0);
  const exported = exportingRows.reduce((n, r) => n + (r.export?.filesExported ?? 0), 0);
  if (exportingRows.every((r) => r.export?.complete === true)) {
    return {
      status: 'True',
      reason: 'Exported',
      message: `${exported} files and ${exportingRows.length} manifests exported`,
    };
  }
  return {
    status: 'False',
    reason: 'Exporting',
    message: `${exported} files exported, ${pending} pending on ${exportingRows.length} nodes`,
  };
}

/**
 * status.artifacts from the rows: every node's manifest first, then the exported files the rows list
 * (their URLs are the manifest's directory plus the file name: core/manifest/object-key.ts). Entries of
 * earlier iterations are kept from the previous status while there is room.
 */
export function artifactsFrom(
  previous: RecordingStatus,
  iteration: number | undefined,
  rows: readonly NodeRow[],
): { artifacts?: Artifact[]; truncated: boolean } {
  const manifests: Artifact[] = [];
  const files: Artifact[] = [];
  for (const row of rows) {
    const e = row.export;
    if (e === undefined || e.manifest === undefined || (e.filesExported ?? 0) === 0) continue;
    manifests.push({
      node: row.name,
      ...(iteration !== undefined && { iteration }),
      format: 'manifest',
      url: e.manifest,
    });
    const directory = e.manifest.slice(0, e.manifest.lastIndexOf('/') + 1);
    for (const f of row.files ?? []) {
      if (f.exported !== true || f.name === undefined) continue;
      files.push({
        node: row.name,
        ...(iteration !== undefined && { iteration }),
        format: f.format ?? 'pcap',
        url: directory + f.name,
        ...(f.bytes !== undefined && { bytes: f.bytes }),
      });
    }
  }
  const current = new Set([...manifests, ...files].map((a) => a.url));
  for (const a of previous.artifacts ?? []) {
    if (current.has(a.url) || a.iteration === iteration) continue;
    (a.format === 'manifest' ? manifests : files).push(a);
  }
  if (manifests.length === 0 && files.length === 0) {
    return {
      ...(previous.artifacts && { artifacts: previous.artifacts }),
      truncated: previous.artifactsTruncated === true,
    };
  }
  const kept = manifests.slice(0, MAX_ARTIFACTS);
  const room = MAX_ARTIFACTS - kept.length;
  return { artifacts: [...kept, ...files.slice(0, room)], truncated: manifests.length + files.length > MAX_ARTIFACTS };
}
