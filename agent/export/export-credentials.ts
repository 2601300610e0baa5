// Export credentials the operator sent for a session. Held in memory only — never in the state
// store, a Session message or a log line — so an agent that restarts has none until the operator
// sends RefreshCredentials (the session's export waits, its files stay on the node).
export type ExportCredentials =
  | {
      readonly kind: 's3';
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken: string;
      readonly expiryMs?: number;
    }
  | { readonly kind: 'gcs'; readonly accessToken: string; readonly expiryMs?: number };

type Listener = (sessionId: string, credentials: ExportCredentials) => void;

export class CredentialVault {
  private readonly bySession = new Map<string, ExportCredentials>();
  private readonly listeners = new Set<Listener>();

  set(sessionId: string, credentials: ExportCredentials): void {
    this.bySession.set(sessionId, credentials);
    for (const listener of this.listeners) listener(sessionId, credentials);
  }

  get(sessionId: string): ExportCredentials | undefined {
    return this.bySession.get(sessionId);
  }

  /** When they stop working (ms since the epoch); undefined = none held or long-lived. */
  expiry(sessionId: string): number | undefined {
    return this.bySession.get(sessionId)?.expiryMs;
  }

  delete(sessionId: string): void {
    this.bySession.delete(sessionId);
  }

  /** Called whenever a session's credentials are replaced (an uploader swaps its client). */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
