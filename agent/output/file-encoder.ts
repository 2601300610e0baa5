// The port between the rotating file writer and a file format (pcap, pcapng):
// the writer walks the records, decides where files end, and asks the encoder
// for the bytes.
import { endianness } from 'node:os';
import type { CaptureStats } from '../capture/capture-source.js';

/** Records and every header we write use the host's byte order, as libpcap does. */
export const HOST_LITTLE_ENDIAN = endianness() === 'LE';

export interface FileEncoder {
  /** Format name reported in OutputFile.format. */
  readonly format: string;
  /** File name extension, without the dot. */
  readonly extension: string;
  /** Bytes kept free at the end of every file for trailer(). */
  readonly trailerBytes: number;
  /** The bytes every file starts with. */
  header(): Buffer;
  /** Bytes one record with `capturedLength` bytes of data takes in the file. */
  recordBytes(capturedLength: number): number;
  /**
   * At least the bytes `packets` records that take `recordBytes` bytes in a
   * batch take in the file, without reading them (exact for pcap), so that a
   * whole batch can be encoded without walking its records first.
   */
  maxEncodedBytes(recordBytes: number, packets: number): number;
  /**
   * Encodes the `packets` records in `records[start, end)`, which take at most
   * `fileBytes` bytes in the file and were captured on interface
   * `interfaceIndex` of the writer, and returns exactly their bytes. The
   * result is a view of `records` or a buffer of its own (writes are
   * asynchronous, so it is never reused by the next call).
   */
  encode(
    records: Buffer,
    start: number,
    end: number,
    packets: number,
    fileBytes: number,
    interfaceIndex: number,
  ): Buffer;
  /** Bytes appended when the last file is closed (at most trailerBytes long); stats per interface. */
  trailer(stats: readonly CaptureStats[] | undefined, startMs: number, endMs: number): Buffer | undefined;
}
