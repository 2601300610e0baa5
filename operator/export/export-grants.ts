// What one session may export to and with which credentials, decided by the operator (agents never
// read Secrets). The destination is the Recording's spec.export, else the chart's default one. The
// credentials Secret is read from the Recording's namespace (or, for the default destination, the
// operator's: operator/tenancy/secret-refs.ts) and turned into something short-lived:
//   S3  — STS AssumeRole with a session policy scoped to this node's run prefix
//         (<prefix>/<namespace>/<recording>/<uid8>/<iteration>/<node>/): one node's credentials are
//         worth nothing for another node or run. Keys that are temporary already (a session token in
//         the Secret) are passed on as they are.
//   GCS — an OAuth access token minted from the service-account key (one hour).
// No Secret named: the agent's ambient credentials (the tenancy rules decide who may).
import { runKeyPrefix } from '../../core/manifest/object-key.js';
import type { RecordingView } from '../controller/recording-view.js';
import type { SessionExportCredentials, SessionExportDestination } from '../dispatch/agent-proto.js';
import { buildExportDestination, toTimestamp } from '../dispatch/session-spec.js';
import { mintAccessToken, parseServiceAccountKey } from './gcs-access-token.js';
import { assumeRoleForPrefix, MIN_SESSION_SECONDS } from './s3-session-credentials.js';
import type { ExportDefaultsFile } from './export-defaults.js';

/** Credentials are renewed when they have less than this left (STS's minimum lifetime is 15 min). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
export const S3_SECRET_KEYS = { id: 'AWS_ACCESS_KEY_ID', secret: 'AWS_SECRET_ACCESS_KEY', token: 'AWS_SESSION_TOKEN' };
export const GCS_SECRET_KEY = 'service-account.json';

export interface ExportGrant {
  readonly destination: SessionExportDestination;
  /** Absent: the agent's ambient credentials. */
  readonly credentials?: SessionExportCredentials;
  /** When the credentials expire (ms); absent = long-lived or ambient. */
  readonly expiresAt?: number;
}

/** Reads a Secret's data (decoded); undefined when it does not exist. */
export type ReadSecret = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export class ExportGrantError extends Error {
  readonly code = 'TD_ERR_EXPORT_CREDENTIALS';
  override name = 'ExportGrantError';
}

export interface ExportGrantsOptions {
  readonly readSecret: ReadSecret;
  readonly operatorNamespace: string;
  readonly defaults: ExportDefaultsFile;
  /** STS AssumeRole's role (AWS needs one; MinIO accepts any). */
  readonly roleArn: string;
  /** Mint short-lived S3 credentials with STS (default); false passes the Secret's keys on. */
  readonly useSts: boolean;
  readonly now?: () => number;
}

export class ExportGrants {
  private readonly now: () => number;

  constructor(private readonly options: ExportGrantsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The grant for a session of `recording` (iteration, node); undefined when nothing is exported. */
  async grantFor(recording: RecordingView, iteration: number, node: string): Promise<ExportGrant | undefined> {
    const own = recording.spec.export;
    const defaults = this.options.defaults;
    const destination = buildExportDestination(recording as never, defaultDestination(defaults));
    if (destination === undefined) return undefined;
    const namespace = own === undefined ? this.options.operatorNamespace : (recording.metadata.namespace ?? '');
    const secretName =
      own === undefined
        ? (defaults.s3?.credentialsSecret?.name ?? defaults.gcs?.credentialsSecret?.name)
        : (own.s3?.credentialsSecret?.name ?? own.gcs?.credentialsSecret?.name);
    if (secretName === undefined) return { destination };
    const data = await this.options.readSecret(namespace, secretName);
    if (data === undefined) throw new ExportGrantError(`credentials Secret ${namespace}/${secretName} not found`);
    const where = `Secret ${namespace}/${secretName}`;
    if (destination.s3) {
      const accessKeyId = data[S3_SECRET_KEYS.id];
      const secretAccessKey = data[S3_SECRET_KEYS.secret];
      if (!accessKeyId || !secretAccessKey) {
        throw new ExportGrantError(`${where} needs keys ${S3_SECRET_KEYS.id} and ${S3_SECRET_KEYS.secret}`);
      }
      const sessionToken = data[S3_SECRET_KEYS.token];
      if (sessionToken || !this.options.useSts) {
        return { destination, credentials: { s3: { accessKeyId, secretAccessKey, sessionToken: sessionToken ?? '' } } };
      }
      const s3 = destination.s3;
      const keyPrefix = runKeyPrefix({
        prefix: s3.prefix ?? '',
        namespace: recording.metadata.namespace ?? '',
        recording: recording.metadata.name ?? '',
        uid: recording.metadata.uid ?? '',
        iteration,
        node,
      });
      let minted;
      try {
        minted = await assumeRoleForPrefix({
          ...(s3.endpoint && { endpoint: s3.endpoint }),
          region: s3.region || 'us-east-1',
          credentials: { accessKeyId, secretAccessKey },
          bucket: s3.bucket ?? '',
          keyPrefix,
          roleArn: this.options.roleArn,
          sessionName: `tapedeck-${node}`,
          durationSeconds: MIN_SESSION_SECONDS * 4,
        });
      } catch (error) {
        throw new ExportGrantError(`STS AssumeRole with the keys of ${where}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const expiresAt = minted.expiration.getTime();
      return {
        destination,
        credentials: {
          s3: {
            accessKeyId: minted.accessKeyId,
            secretAccessKey: minted.secretAccessKey,
            sessionToken: minted.sessionToken,
          },
          expiry: toTimestamp(expiresAt),
        },
        expiresAt,
      };
    }
    const json = data[GCS_SECRET_KEY];
    if (!json) throw new ExportGrantError(`${where} needs key ${GCS_SECRET_KEY}`);
    try {
      const token = await mintAccessToken(parseServiceAccountKey(json, where), this.now());
      const expiresAt = token.expiration.getTime();
      return {
        destination,
        credentials: { gcs: { accessToken: token.token }, expiry: toTimestamp(expiresAt) },
        expiresAt,
      };
    } catch (error) {
      throw new ExportGrantError((error as Error).message, { cause: error });
    }
  }

  /** Whether credentials expiring at `expiresAt` (ms) should be replaced now. */
  dueForRefresh(expiresAt: number | undefined): boolean {
    return expiresAt !== undefined && expiresAt - this.now() <= REFRESH_MARGIN_MS;
  }
}

function defaultDestination(defaults: ExportDefaultsFile): SessionExportDestination | undefined {
  if (defaults.s3?.bucket) {
    const s3 = defaults.s3;
    return {
      s3: {
        bucket: s3.bucket,
        prefix: s3.prefix ?? '',
        region: s3.region ?? '',
        endpoint: s3.endpoint ?? '',
        forcePathStyle: s3.forcePathStyle ?? false,
      },
    };
  }
  if (defaults.gcs?.bucket) {
    const gcs = defaults.gcs;
    return { gcs: { bucket: gcs.bucket, prefix: gcs.prefix ?? '', endpoint: gcs.endpoint ?? '' } };
  }
  return undefined;
}
