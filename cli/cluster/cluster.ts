// The CLI's read-only view of a cluster, through the user's kubeconfig (KUBECONFIG, ~/.kube/config,
// --kubeconfig, --context) as kubectl finds it: get and list Recordings, list a Recording's Events.
// Every failure becomes one line that says what to do (log in, pick a context, or use --from).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { CliError } from '../cli-error.js';
import { RECORDING_GROUP, RECORDING_PLURAL, RECORDING_VERSION } from './recording-view.js';
import type { RecordingView } from './recording-view.js';

export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
}

export interface EventView {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  last?: string;
  source?: string;
}

export interface Cluster {
  /** "context X (https://…)", for messages. */
  readonly describe: string;
  getRecording(namespace: string, name: string): Promise<RecordingView>;
  /** Every namespace when `namespace` is undefined. */
  listRecordings(namespace?: string): Promise<RecordingView[]>;
  listEvents(namespace: string, name: string, uid?: string): Promise<EventView[]>;
}

const API = `${RECORDING_GROUP}/${RECORDING_VERSION}`;

async function loadKubeConfig(flags: ClusterFlags): Promise<KubeConfig> {
  // loadFromDefault falls back to http://localhost:8080 when it finds nothing: say so instead of trying it.
  const home = join(homedir(), '.kube', 'config');
  if (!flags.kubeconfig && !process.env['KUBECONFIG'] && !existsSync(home) && !process.env['KUBERNETES_SERVICE_HOST']) {
    throw new CliError(
      'usage',
      'No Kubernetes cluster configured (KUBECONFIG, ~/.kube/config): pass --kubeconfig, or --from s3://BUCKET/PREFIX to read the bucket directly',
    );
  }
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    const file = flags.kubeconfig ?? process.env['KUBECONFIG'] ?? '~/.kube/config';
    throw new CliError(
      'usage',
      `Cannot read the kubeconfig ${file}: ${(error as Error).message}; pass --kubeconfig FILE, or --from s3://BUCKET/PREFIX to read a bucket directly`,
      { cause: error },
    );
  }
  if (flags.context) {
    if (!kc.getContexts().some((c) => c.name === flags.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new CliError(
        'usage',
        `No context ${JSON.stringify(flags.context)} in the kubeconfig (contexts: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(flags.context);
  }
  return kc;
}

interface StatusBody {
  message?: string;
  details?: { kind?: string };
}

/** client-node's ApiException, recognised by shape (the module is loaded lazily). */
interface ApiError {
  code: number;
  body: unknown;
  message: string;
}

const isApiError = (error: unknown): error is ApiError =>
  error instanceof Error && typeof (error as Partial<ApiError>).code === 'number' && 'body' in error;

function statusBody(error: ApiError): StatusBody {
  const body = error.body;
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  try {
    return JSON.parse(String(body)) as StatusBody;
  } catch {
    return {};
  }
}

/** The one-line CliError for a failed call about `what` ("Recording shop/checkout", "Recordings in shop"). */
export function clusterError(where: string, what: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (isApiError(error)) {
    const body = statusBody(error);
    const detail = body.message ?? error.message.split('\n')[0];
    if (error.code === 404) {
      return body.details?.kind === RECORDING_PLURAL
        ? new CliError(
            'notFound',
            `${what} not found in ${where}; \`tapedeck ls\` lists them, and --from s3://… or gs://… reads a deleted one's bucket`,
            {
              cause: error,
            },
          )
        : new CliError(
            'notFound',
            `${where} does not serve ${API} Recordings (is tapedeck installed?); pass --from s3://… or gs://… to read a bucket directly`,
            { cause: error },
          );
    }
    if (error.code === 401)
      return new CliError('remote', `${where} rejected our credentials (HTTP 401): log in again or pick --context`, {
        cause: error,
      });
    if (error.code === 403)
      return new CliError('remote', `${where} does not let us read ${what} (HTTP 403): ${detail}`, { cause: error });
    return new CliError('remote', `Reading ${what} from ${where} failed (HTTP ${error.code}): ${detail}`, {
      cause: error,
    });
  }
  const e = error as { code?: string; cause?: { code?: string }; message?: string };
  const code = e.code ?? e.cause?.code;
  return new CliError(
    'remote',
    `Cannot reach ${where}: ${code ?? e.message ?? String(error)}; check --kubeconfig / --context, or pass --from to read a bucket directly`,
    { cause: error },
  );
}

export async function connectCluster(flags: ClusterFlags): Promise<Cluster> {
  const kc = await loadKubeConfig(flags);
  const { CoreV1Api, CustomObjectsApi } = await import('@kubernetes/client-node');
  const server = kc.getCurrentCluster()?.server ?? 'in-cluster';
  const where = `the cluster at ${server} (context ${kc.getCurrentContext() || 'in-cluster'})`;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const coordinates = { group: RECORDING_GROUP, version: RECORDING_VERSION, plural: RECORDING_PLURAL };
  return {
    describe: where,
    async getRecording(namespace, name) {
      try {
        return (await custom.getNamespacedCustomObject({ ...coordinates, namespace, name })) as RecordingView;
      } catch (error) {
        throw clusterError(where, `Recording ${namespace}/${name}`, error);
      }
    },
    async listRecordings(namespace) {
      try {
        const list = (
          namespace
            ? await custom.listNamespacedCustomObject({ ...coordinates, namespace })
            : await custom.listClusterCustomObject(coordinates)
        ) as { items?: RecordingView[] };
        return list.items ?? [];
      } catch (error) {
        throw clusterError(where, namespace ? `Recordings in ${namespace}` : 'Recordings', error);
      }
    },
    async listEvents(namespace, name, uid) {
      const selector = [`involvedObject.kind=Recording`, `involvedObject.name=${name}`];
      if (uid) selector.push(`involvedObject.uid=${uid}`);
      try {
        const list = await core.listNamespacedEvent({ namespace, fieldSelector: selector.join(',') });
        return list.items.map((e) => ({
          type: e.type,
          reason: e.reason,
          message: e.message,
          count: e.count,
          last: toIso(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp),
          source: e.source?.component ?? e.reportingComponent,
        }));
      } catch (error) {
        throw clusterError(where, `Events of ${namespace}/${name}`, error);
      }
    },
  };
}

function toIso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.toISOString() : value;
}
