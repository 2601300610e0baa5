// Picks the parser from the first four bytes of a capture.
import { CaptureError, CaptureErrorCode } from './capture-error.js';
import type { CaptureParser } from './capture-parser.js';
import { isPcapMagic, PcapParser } from './pcap-parser.js';
import { PCAPNG_SHB, PcapngParser } from './pcapng-parser.js';
import type { PacketSink } from './packet-sink.js';

/** `head` holds at least the first 4 bytes of the input. */
export function createCaptureParser(head: Buffer, sink: PacketSink): CaptureParser {
  if (head.length < 4) {
    throw new CaptureError(CaptureErrorCode.NotACapture, `not a capture: only ${head.length} bytes`, 0);
  }
  const magic = head.readUInt32BE(0);
  if (isPcapMagic(magic)) return new PcapParser(sink);
  if (magic === PCAPNG_SHB) return new PcapngParser(sink);
  throw new CaptureError(CaptureErrorCode.NotACapture, 'not a pcap or pcapng file (unknown magic number)', 0);
}
