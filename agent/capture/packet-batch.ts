// The unit of data that flows from a capture source to the writers.
//
// A batch is one buffer of consecutive pcap records exactly as they appear in a
// nanosecond-resolution pcap file (host byte order, no padding):
//   u32 tsSec | u32 tsNsec | u32 capturedLength | u32 originalLength | data[capturedLength]
// The native capture binding fills these straight from the kernel's ring
// (TPACKET_V3 blocks), so a pcap (nanosecond) writer can append a batch with a
// single write and no per-packet work in JavaScript.
//
// Buffers are pooled and reused by the source: a consumer must finish with
// `data` (copy or write it out) before calling `release()`.
export interface PacketBatch {
  /** Records, `data.subarray(0, length)` is valid. */
  readonly data: Buffer;
  readonly length: number;
  readonly packets: number;
  /** Where the last record begins (the native source knows it; others may leave it out). */
  readonly lastRecordOffset?: number;
  /** Hands the buffer back to the source's pool. Idempotent. */
  release(): void;
}

export const RECORD_HEADER_BYTES = 16;
