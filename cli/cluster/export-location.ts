// Where a Recording's run was exported, from the Recording itself: status.artifacts first (what the
// agents actually wrote, also under the chart's default destination), else spec.export. The run is
// the first 8 hex digits of the Recording's uid (core/manifest/object-key.ts), so a fetch through the
// cluster takes this Recording's run, never an older one of the same name.
import { MANIFEST_NAME, uidSegment } from '../../core/manifest/object-key.js';
import { CliError } from '../cli-error.js';
import { parseStoreUrl } from '../store/store-url.js';
import type { StoreUrl } from '../store/store-url.js';
import type { RecordingView } from './recording-view.js';

export interface ExportLocation {
  readonly url: StoreUrl;
  /** The destination's own endpoint (an S3-compatible store, an emulator), if the spec names one. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly run: string;
}

/** <prefix>/<namespace>/<recording>/<uid8>/<iteration>/<node>/manifest.json → <prefix>. */
function prefixOfManifest(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length < 6 || parts[parts.length - 1] !== MANIFEST_NAME) return undefined;
  return parts.slice(0, -6).join('/');
}

function fromArtifacts(recording: RecordingView): StoreUrl | undefined {
  for (const artifact of recording.status?.artifacts ?? []) {
    const match = /^(s3|gs):\/\/([^/]+)\/(.+)$/.exec(artifact.url);
    if (!match) continue;
    const prefix = prefixOfManifest(match[3]!);
    if (prefix === undefined) continue;
    return parseStoreUrl(`${match[1]}://${match[2]}${prefix ? `/${prefix}` : ''}`);
  }
  return undefined;
}

export function exportLocation(recording: RecordingView): ExportLocation {
  const name = `${recording.metadata.namespace}/${recording.metadata.name}`;
  const run = uidSegment(recording.metadata.uid ?? '');
  const { s3, gcs } = recording.spec?.export ?? {};
  const fromSpec = s3
    ? parseStoreUrl(`s3://${s3.bucket}${s3.prefix ? `/${s3.prefix}` : ''}`)
    : gcs
      ? parseStoreUrl(`gs://${gcs.bucket}${gcs.prefix ? `/${gcs.prefix}` : ''}`)
      : undefined;
  const url = fromArtifacts(recording) ?? fromSpec;
  if (!url) {
    throw new CliError(
      'notFound',
      `Recording ${name} has no export destination (spec.export) and reports no exported artifacts yet; if the chart's default destination was used, pass --from s3://… or gs://…`,
    );
  }
  // The spec's endpoint applies only to its own bucket (artifacts may name the chart's default one).
  const same = fromSpec && fromSpec.scheme === url.scheme && fromSpec.bucket === url.bucket;
  const endpoint = same ? (s3?.endpoint ?? gcs?.endpoint) || undefined : undefined;
  return { url, endpoint, region: same ? s3?.region || undefined : undefined, run };
}
