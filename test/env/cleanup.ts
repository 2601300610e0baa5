/**
 * Last-resort cleanup: synchronous actions (kill a process group, remove a temp dir, delete a netns)
 * that run when the process exits or is interrupted before the normal async teardown ran.
 * Normal teardown unregisters each action after doing the same work gracefully.
 */
type SyncCleanup = () => void;

const actions = new Set<SyncCleanup>();
let installed = false;

function runAll(): void {
  for (const action of [...actions].reverse()) {
    actions.delete(action);
    try {
      action();
    } catch {
      // best effort: keep cleaning up the rest
    }
  }
}

const signals = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** Registers a synchronous cleanup action; returns a function that unregisters it. */
export function onExitCleanup(action: SyncCleanup): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
  }
  actions.add(action);
  return () => {
    actions.delete(action);
  };
}

/**
 * Makes SIGINT/SIGTERM/SIGHUP run the cleanup actions and exit. For vitest's main process; the CLI
 * installs its own graceful handlers instead.
 */
export function exitOnSignals(): void {
  for (const [signal, code] of Object.entries(signals)) {
    process.once(signal, () => {
      runAll();
      process.exit(code);
    });
  }
}
