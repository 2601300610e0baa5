/**
 * Connection facts of a started test environment. Plain JSON: global-setup.ts hands them to
 * test files with vitest's provide(), the CLI prints them.
 */
/** Binaries the environment can do without outside CI. */
export type OptionalBinary = 'minio' | 'fake-gcs-server' | 'helm' | 'grpcurl';

export interface S3Facts {
  /** http://127.0.0.1:PORT (MinIO; use forcePathStyle). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface GcsFacts {
  /** http://127.0.0.1:PORT (fake-gcs-server; pass as apiEndpoint, no credentials needed). */
  endpoint: string;
  projectId: string;
}

export interface BinaryPaths {
  kubectl: string;
  /** null when helm is not built (outside CI only). */
  helm: string | null;
  grpcurl: string | null;
}

export interface TestEnvFacts {
  /** Unique per run (6 hex chars); names of netns/links created by the node helper contain it. */
  runId: string;
  /** The run's temp dir: process logs (<name>.log), certs, data dirs. Removed at teardown. */
  tempDir: string;
  /** Admin kubeconfig (client certificate in group system:masters), usable by kubectl and client-node. */
  kubeconfigPath: string;
  apiServerUrl: string;
  /** null when the component could not be started outside CI (see `missing`). */
  s3: S3Facts | null;
  gcs: GcsFacts | null;
  bin: BinaryPaths;
  /**
   * Why optional binaries are absent, by binary name (always empty under CI=true: there a missing binary
   * fails the run).
   */
  missing: Partial<Record<OptionalBinary, string>>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: TestEnvFacts;
  }
}
