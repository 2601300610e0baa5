// The port through which sessions get packets: implemented by the native
// libpcap binding (agent/capture/native) and by fakes in unit tests.
import type { PacketBatch } from './packet-batch.js';

export interface CaptureOptions {
  /** Interface name inside the agent's network namespace; "any" captures all. */
  readonly interface: string;
  /** pcap-filter expression, already validated; "" captures everything. */
  readonly filter: string;
  /** Bytes kept per packet; 0 = whole packet (262144). */
  readonly snaplen: number;
  /** Kernel ring size in bytes (0 = the binding's default). */
  readonly bufferBytes?: number;
}

export interface CaptureStats {
  /** Packets handed to the agent (pcap_stats ps_recv minus drops). */
  readonly packetsReceived: number;
  /** Kernel drops: pcap_stats ps_drop. */
  readonly kernelDropped: number;
  /** Drops at the interface/driver: pcap_stats ps_ifdrop. */
  readonly interfaceDropped: number;
  /** Packets the agent itself dropped because no batch buffer was free. */
  readonly agentDropped: number;
  readonly agentDroppedBytes: number;
}

export interface CaptureHandle {
  /** pcap DLT_* link type of the packets (e.g. 1 Ethernet, 276 LINUX_SLL2 for "any"). */
  readonly linkType: number;
  readonly snaplen: number;
  /** Called for each batch, in capture order, on the JavaScript thread. */
  onBatch(listener: (batch: PacketBatch) => void): void;
  stats(): CaptureStats;
  /** Stops capturing, delivers the batches still queued, then resolves with final stats. */
  close(): Promise<CaptureStats>;
  /**
   * Optional (added by the capture engine): called once if capturing ends on
   * its own because of an error (e.g. the interface went away), after the
   * last batch; close() then resolves with the final stats.
   */
  onError?(listener: (error: Error) => void): void;
}

export type OpenCapture = (options: CaptureOptions) => CaptureHandle;
