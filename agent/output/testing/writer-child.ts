// Test helper run as a child process (node --import tsx): writes synthetic
// batches through a real writer as fast as it can and reports, on stdout,
// the packet count after every completed write() — until it is killed.
//   argv: <format> <directory> <maxFileBytes>
import { createRecordWriter, type PacketFileFormat } from '../create-record-writer.js';
import { recordsOf, syntheticPackets } from './synthetic-packets.js';

export const CHILD_BATCH_PACKETS = 50;
export const CHILD_PACKETS = 100_000;

const [format = 'pcap', directory = '', maxFileBytes = '0'] = process.argv.slice(2);
const packets = syntheticPackets({ count: CHILD_PACKETS, sizes: [60, 61, 62, 63, 200, 1514] });
const writer = createRecordWriter({
  format: format as PacketFileFormat,
  directory,
  filePrefix: 'crash',
  nodeName: 'node-a',
  linkType: 1,
  snaplen: 0,
  interfaceName: 'eth0',
  rotation: { maxFileBytes: Number(maxFileBytes), maxFileAgeMs: 0 },
});

let written = 0;
async function writeAll(): Promise<void> {
  while (written < CHILD_PACKETS) {
    const batch = packets.slice(written, written + CHILD_BATCH_PACKETS);
    await writer.write(recordsOf(batch, written), batch.length);
    written += batch.length;
    process.stdout.write(`${written}\n`); // synchronous on Linux pipes
  }
}
void writeAll();
