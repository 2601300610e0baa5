// A push parser over a caller-owned buffer: the caller reads a file (or receives bytes) into a buffer,
// calls parse() with the filled range and keeps the unconsumed tail for the next call. Packets go to the
// sink pointing into that buffer, so no packet is copied on the way in.
export interface CaptureParser {
  readonly format: 'pcap' | 'pcapng';
  /** Consumes every complete header, record or block in buf[start, end); returns the first offset not consumed. */
  parse(buf: Buffer, start: number, end: number): number;
  /** Total bytes the next unit needs (known once its header is in the buffer): callers grow their buffer to it. */
  readonly nextUnitBytes: number;
  /** Called at end of input with the bytes that were never consumed: throws a Truncated error when any remain. */
  finish(unconsumed: number): void;
  readonly packets: number;
}

/** Largest record or block accepted (libpcap's limit for pcapng blocks is 16 MiB). */
export const MAX_UNIT_BYTES = 16 * 1024 * 1024;
/** Largest captured length accepted in a pcap record whatever the snaplen says (libpcap: 256 KiB). */
export const MAX_CAPTURED_LENGTH = 262_144;
