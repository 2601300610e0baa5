// DNS over TCP framing: a 2-byte length, then the message. Bytes are copied only while a message is
// incomplete. After reset() (a gap) it waits for a chunk whose first bytes look like a message start.
const MIN_MESSAGE = 12;

export class TcpFramer {
  private held: Buffer | undefined;
  private lost = false;

  reset(): void {
    this.held = undefined;
    this.lost = true;
  }

  push(data: Buffer, start: number, end: number, onMessage: (message: Buffer) => void): void {
    let buf = data;
    let at = start;
    let stop = end;
    if (this.lost) {
      if (stop - at < 2 || buf.readUInt16BE(at) < MIN_MESSAGE) return; // still out of step
      this.lost = false;
    }
    if (this.held) {
      buf = Buffer.concat([this.held, data.subarray(start, end)]);
      at = 0;
      stop = buf.length;
      this.held = undefined;
    }
    while (stop - at >= 2) {
      const length = buf.readUInt16BE(at);
      if (stop - at < 2 + length) break;
      onMessage(buf.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
    if (at < stop) this.held = Buffer.from(buf.subarray(at, stop));
  }
}
