// The port through which output files ask the node's storage budget
// (agent/storage/storage-budget.ts) for room before they write, so the data
// volume never holds more than the budget allows.

export interface StorageLedger {
  /**
   * Asks to let `path` grow to `bytes` (its apparent size after the write). false = no room: nothing is
   * charged and the caller must not write.
   */
  grow(path: string, bytes: number): boolean;
  /** The file is final (fsynced and closed): the budget may measure what it really takes. */
  settled(path: string): void;
}

/** No budget: every write may go ahead. */
export const UNLIMITED_LEDGER: StorageLedger = {
  grow: () => true,
  settled: () => undefined,
};
