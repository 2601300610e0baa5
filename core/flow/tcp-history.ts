// Zeek's conn.log history string: one letter per event kind and side, the first time it happens; upper case
// for the originator (the client), lower case for the responder. Kept internally by side A/B (A = the first
// packet's sender) and cased by role when written, so a role swap needs no rewrite.
export const HistoryLetter = {
  Syn: 'S',
  SynAck: 'H',
  Ack: 'A',
  Data: 'D',
  Fin: 'F',
  Reset: 'R',
  Retransmission: 'T',
  ZeroWindow: 'W',
  Gap: 'G',
  MultiFlag: 'Q',
  Inconsistent: 'I',
} as const;
export type HistoryLetter = (typeof HistoryLetter)[keyof typeof HistoryLetter];

const BIT: Record<HistoryLetter, number> = {
  S: 1,
  H: 2,
  A: 4,
  D: 8,
  F: 16,
  R: 32,
  T: 64,
  W: 128,
  G: 256,
  Q: 512,
  I: 1024,
};

export class TcpHistory {
  private readonly seen = [0, 0];
  private events = '';

  /** side 0 = A, 1 = B. */
  add(side: 0 | 1, letter: HistoryLetter): void {
    const bit = BIT[letter];
    if ((this.seen[side] as number) & bit) return;
    this.seen[side] = (this.seen[side] as number) | bit;
    this.events += side === 0 ? letter : letter.toLowerCase();
  }

  /** The history with the client's letters in upper case. */
  format(clientSide: 0 | 1): string {
    if (clientSide === 0) return this.events;
    let out = '';
    for (const c of this.events) out += c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
    return out;
  }
}
