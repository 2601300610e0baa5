// Where capture readers deliver packets: one call per packet, pointing into the reader's buffer.
// `data` is only valid during the call (readers reuse their buffers); a sink that keeps bytes copies them.
export interface PacketSink {
  packet(
    data: Buffer,
    offset: number,
    capturedLength: number,
    originalLength: number,
    tsSec: number,
    tsNsec: number,
    linkType: number,
    /** pcapng: the interface's index in the file, counting every section's interfaces (pcap: absent). */
    interfaceIndex?: number,
  ): void;
}
