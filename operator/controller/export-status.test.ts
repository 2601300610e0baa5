import { describe, expect, it } from 'vitest';
import { artifactsFrom, exportedCondition, MAX_ARTIFACTS } from './export-status.js';
import type { NodeRow } from './recording-view.js';

const base = 's3://b/p/ns/r/1b4e28ba/1';

function row(name: string, files: number, e: Partial<NonNullable<NodeRow['export']>> = {}): NodeRow {
  return {
    name,
    phase: 'Completed',
    files: Array.from({ length: files }, (_, i) => ({
      name: `f${i}.pcap`,
      format: 'pcap',
      bytes: 10,
      closed: true,
      exported: true,
    })),
    export: { filesPending: 0, filesExported: files, manifest: `${base}/${name}/manifest.json`, complete: true, ...e },
  };
}

describe('export status', () => {
  it('should list every manifest first, then files, and flag what did not fit', () => {
    const rows = Array.from({ length: 20 }, (_, i) => row(`n${String(i).padStart(2, '0')}`, 64));
    const { artifacts, truncated } = artifactsFrom({}, 1, rows);
    expect(artifacts).toHaveLength(MAX_ARTIFACTS);
    expect(artifacts!.slice(0, 20).every((a) => a.format === 'manifest')).toBe(true);
    expect(artifacts![20]).toEqual({
      node: 'n00',
      iteration: 1,
      format: 'pcap',
      url: `${base}/n00/f0.pcap`,
      bytes: 10,
    });
    expect(truncated).toBe(true);
    expect(artifactsFrom({}, 1, [row('a', 2)]).truncated).toBe(false);
  });

  it('should keep artifacts of earlier iterations', () => {
    const earlier = { node: 'a', iteration: 1, format: 'manifest' as const, url: 's3://b/old/manifest.json' };
    const { artifacts } = artifactsFrom({ artifacts: [earlier] }, 2, [row('a', 1)]);
    expect(artifacts?.map((a) => a.url)).toContain(earlier.url);
  });

  it('should say which node fails to export, then that all is exported', () => {
    const failing = exportedCondition([
      row('a', 1),
      row('b', 1, {
        complete: false,
        filesPending: 2,
        error: 'TD_ERR_EXPORT_DENIED: PutObject s3://b/k: Access Denied',
      }),
    ]);
    expect(failing).toMatchObject({ status: 'False', reason: 'ExportFailing' });
    expect(failing?.message).toContain('b: TD_ERR_EXPORT_DENIED');
    expect(exportedCondition([row('a', 1, { complete: false, filesPending: 3 })])).toMatchObject({
      reason: 'Exporting',
    });
    expect(exportedCondition([row('a', 2), row('b', 1)])).toMatchObject({
      status: 'True',
      message: '3 files and 2 manifests exported',
    });
    expect(exportedCondition([{ name: 'a', phase: 'Completed' }])).toBeUndefined();
  });
});
