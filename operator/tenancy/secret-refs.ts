// Which Secrets a Recording's session may use, and where they live (SECURITY.md, "Secrets"): a Secret the
// Recording names is read from the Recording's own namespace, never the operator's, so naming one spends
// only credentials of that namespace (the admission policy also checks that the Recording's requester may
// get it). Only the chart's default destination, set by the admin, reads its Secret from the operator's
// namespace, and only for Recordings without spec.export. The operator reads nothing else.
import type { RecordingView } from '../controller/recording-view.js';

export const SecretUse = {
  S3Credentials: 's3-credentials',
  GcsCredentials: 'gcs-credentials',
  RedisPassword: 'redis-password',
} as const;
export type SecretUse = (typeof SecretUse)[keyof typeof SecretUse];

export interface SecretRef {
  namespace: string;
  name: string;
  use: SecretUse;
}

/** The default destination in spec.export's shape (the chart's TAPEDECK_EXPORT_DEFAULTS file). */
export interface ExportDefaults {
  s3?: { credentialsSecret?: { name: string } };
  gcs?: { credentialsSecret?: { name: string } };
}

/** Every Secret a session of `recording` needs, each with the namespace it must be read from. */
export function secretRefsOf(
  recording: RecordingView,
  defaults: ExportDefaults,
  operatorNamespace: string,
): SecretRef[] {
  const own = recording.metadata.namespace ?? '';
  const refs: SecretRef[] = [];
  const exp = recording.spec.export;
  const destination = exp ?? defaults;
  const namespace = exp === undefined ? operatorNamespace : own;
  const s3 = destination.s3?.credentialsSecret?.name;
  const gcs = destination.gcs?.credentialsSecret?.name;
  if (s3 !== undefined) refs.push({ namespace, name: s3, use: SecretUse.S3Credentials });
  if (gcs !== undefined) refs.push({ namespace, name: gcs, use: SecretUse.GcsCredentials });
  for (const sink of recording.spec.output?.sinks ?? []) {
    const name = sink.redis?.passwordSecret?.name;
    if (name !== undefined) refs.push({ namespace: own, name, use: SecretUse.RedisPassword });
  }
  return refs;
}
