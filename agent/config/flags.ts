// Command-line flags of tapedeck-agent, parsed with node:util parseArgs.
import { hostname } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OPERATOR_IDENTITY } from '../server/peer-identity.js';
import { DEFAULT_MAX_CONCURRENT_SESSIONS } from '../session/session-manager.js';
import { parseQuantity } from '../storage/quantity.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Upper bound of --max-sessions. */
export const MAX_SESSIONS_LIMIT = 256;

export const USAGE = `Usage: tapedeck-agent [flags]

  --node-name NAME        Kubernetes node name (default: $NODE_NAME or the host name)
  --listen HOST:PORT      gRPC address, or unix:/path (default: 0.0.0.0:4244)
  --data-dir DIR          Where recordings are written (default: /var/lib/tapedeck)
  --tls-cert FILE         PEM server certificate
  --tls-key FILE          PEM server key
  --tls-ca FILE           PEM CA that client certificates must chain to
  --allow-client ID       Client certificate identity (CN, DNS or URI SAN) allowed to call, repeatable
                          (default: ${OPERATOR_IDENTITY}); give the operator's too when listing Hubble clients
  --insecure              Plaintext gRPC without client authentication (local development only)
  --log-level LEVEL       ${LOG_LEVELS.join(', ')} (default: info)
  --max-sessions N        Concurrent capture sessions (default: ${DEFAULT_MAX_CONCURRENT_SESSIONS})
  --hubble-interface IF   Interface Hubble recordings capture on (default: any)
  --storage-limit SIZE    Most the data directory may take on disk, all sessions together, e.g. 5Gi
                          (default: $TAPEDECK_STORAGE_LIMIT, else no limit but the volume's free space)
  --help                  Show this help
`;

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface AgentConfig {
  readonly nodeName: string;
  readonly listen: string;
  readonly dataDir: string;
  /** undefined = --insecure. */
  readonly tls: TlsFiles | undefined;
  readonly logLevel: LogLevel;
  readonly maxSessions: number;
  readonly hubbleInterface: string;
  /** Client identities allowed to call over mTLS. */
  readonly allowedClients: readonly string[];
  /** Bytes the data directory may take on disk (allocated blocks); 0 = no limit. */
  readonly storageLimitBytes: number;
}

/** Below this the state store and one rotation of files do not fit. */
export const MIN_STORAGE_LIMIT_BYTES = 4 * 1024 * 1024;

export class ConfigError extends Error {
  readonly code = 'TD_ERR_AGENT_FLAGS';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LISTEN = /^(unix:\/.+|(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5})$/;
const INTERFACE = /^[a-zA-Z0-9_.:@-]{1,15}$/;

/** Returns the config, or `help` when --help was given; throws ConfigError with a clear message. */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): AgentConfig | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'node-name': { type: 'string' },
        listen: { type: 'string', default: '0.0.0.0:4244' },
        'data-dir': { type: 'string', default: '/var/lib/tapedeck' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        'allow-client': { type: 'string', multiple: true },
        insecure: { type: 'boolean', default: false },
        'log-level': { type: 'string', default: 'info' },
        'max-sessions': { type: 'string', default: String(DEFAULT_MAX_CONCURRENT_SESSIONS) },
        'hubble-interface': { type: 'string', default: 'any' },
        'storage-limit': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (values.help) return 'help';
  const nodeName = values['node-name'] ?? env.NODE_NAME ?? hostname().toLowerCase();
  if (!NODE_NAME.test(nodeName))
    throw new ConfigError(`--node-name ${JSON.stringify(nodeName)} is not a DNS subdomain`);
  if (!LISTEN.test(values.listen)) {
    throw new ConfigError(`--listen ${JSON.stringify(values.listen)} must be host:port or unix:/path`);
  }
  const port = Number(values.listen.slice(values.listen.lastIndexOf(':') + 1));
  if (!values.listen.startsWith('unix:') && port > 65_535)
    throw new ConfigError(`--listen port ${port} is out of range`);
  if (!LOG_LEVELS.includes(values['log-level'] as LogLevel)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const maxSessions = Number(values['max-sessions']);
  if (!/^\d+$/.test(values['max-sessions']) || maxSessions < 1 || maxSessions > MAX_SESSIONS_LIMIT) {
    throw new ConfigError(`--max-sessions must be an integer between 1 and ${MAX_SESSIONS_LIMIT}`);
  }
  if (!INTERFACE.test(values['hubble-interface'])) throw new ConfigError('--hubble-interface is not an interface name');
  const storageLimitBytes = storageLimit(values['storage-limit'] ?? env.TAPEDECK_STORAGE_LIMIT);
  return {
    nodeName,
    listen: values.listen,
    dataDir: path.resolve(values['data-dir']),
    tls: tlsFiles(values['tls-cert'], values['tls-key'], values['tls-ca'], values.insecure),
    logLevel: values['log-level'] as LogLevel,
    maxSessions,
    hubbleInterface: values['hubble-interface'],
    allowedClients: values['allow-client'] ?? [OPERATOR_IDENTITY],
    storageLimitBytes,
  };
}

function storageLimit(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  let bytes: number;
  try {
    bytes = parseQuantity(text);
  } catch (error) {
    throw new ConfigError(`--storage-limit: ${(error as Error).message}`, { cause: error });
  }
  if (bytes < MIN_STORAGE_LIMIT_BYTES) {
    throw new ConfigError(`--storage-limit must be at least ${MIN_STORAGE_LIMIT_BYTES} bytes (4Mi), got ${text}`);
  }
  return bytes;
}

function tlsFiles(
  cert: string | undefined,
  key: string | undefined,
  ca: string | undefined,
  insecure: boolean,
): TlsFiles | undefined {
  const given = [cert, key, ca].filter((v) => v !== undefined).length;
  if (insecure) {
    if (given > 0) throw new ConfigError('--insecure cannot be combined with --tls-cert, --tls-key or --tls-ca');
    return undefined;
  }
  if (cert === undefined || key === undefined || ca === undefined) {
    throw new ConfigError('--tls-cert, --tls-key and --tls-ca are required (or --insecure for local development)');
  }
  return { cert: path.resolve(cert), key: path.resolve(key), ca: path.resolve(ca) };
}
