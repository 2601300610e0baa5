// The engine-wide cap on bytes held in TCP out-of-order buffers (shared by every stream of one engine).
export class MemoryBudget {
  used = 0;
  /** Times a stream had to give up buffered data (turn a hole into a gap) because the budget was spent. */
  overflows = 0;
  constructor(readonly limit: number) {}

  get exhausted(): boolean {
    return this.used > this.limit;
  }
}
