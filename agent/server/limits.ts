// Bounds of every request field, enforced at the gRPC boundary.

export const REQUEST_LIMITS = {
  maxIncludeEntries: 64,
  /** The Recording CRD's bound (spec.target.interfaces). */
  maxInterfaces: 16,
  /** Characters of the user's pcap-filter expression. */
  maxBpfLength: 4096,
  maxCidrLength: 64,
  /** libpcap's MAXIMUM_SNAPLEN. */
  maxSnaplen: 262_144,
  maxPort: 65_535,
  /** Counters travel as uint64 but are kept as JavaScript numbers. */
  maxCount: Number.MAX_SAFE_INTEGER,
  /** 30 days. */
  maxTimeElapsedMs: 30 * 24 * 3600 * 1000,
  minFileBytes: 1024,
  maxFileBytes: 1024 ** 4,
  minFileAgeMs: 1000,
  maxFileAgeMs: 24 * 3600 * 1000,
  /** TTLs and expireAfter: the CRD allows up to 8760h. */
  maxRetentionMs: 8760 * 3600 * 1000,
  maxLabels: 32,
  maxLabelKeyLength: 317,
  maxLabelValueLength: 1024,
  maxIteration: 1_000_000,
  /** Timestamps after 9999-12-31 are refused. */
  maxEpochSeconds: 253_402_300_799,
  /** gRPC messages larger than this are refused with RESOURCE_EXHAUSTED. */
  maxMessageBytes: 1024 * 1024,
} as const;

/** Hubble's file_prefix rule. */
export const FILE_PREFIX_PATTERN = /^[a-z][a-z0-9]{0,19}$/;
/** Linux interface names (IFNAMSIZ 16 incl. NUL) or "any". */
export const INTERFACE_PATTERN = /^[a-zA-Z0-9_.:@-]{1,15}$/;
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const DNS_SUBDOMAIN_PATTERN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes UIDs are UUIDs; any short token of these characters is accepted. */
export const UID_PATTERN = /^[a-zA-Z0-9-]{1,64}$/;
