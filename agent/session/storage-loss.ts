// What a session could not write because the node's storage budget was full: counted as lost,
// shown as storage_full while it lasts, logged once per episode.
import type { Logger } from 'pino';

export interface StorageLossView {
  /** The latest batch found no room. */
  readonly full: boolean;
  /** This segment's packets and captured bytes not written for lack of room. */
  readonly packets: number;
  readonly bytes: number;
}

export class StorageLoss implements StorageLossView {
  full = false;
  packets = 0;
  bytes = 0;
  private episodePackets = 0;

  constructor(private readonly logger: Logger) {}

  /** A batch found no room; returns true when this starts an episode. */
  refused(packets: number, bytes: number): boolean {
    this.packets += packets;
    this.bytes += bytes;
    this.episodePackets += packets;
    if (this.full) return false;
    this.full = true;
    this.logger.warn({ packets }, 'Storage full, counting packets as lost');
    return true;
  }

  /** A batch found room again. */
  wrote(): void {
    if (!this.full) return;
    this.full = false;
    this.logger.info({ lostPackets: this.episodePackets }, 'Storage has room again, writing');
    this.episodePackets = 0;
  }
}
