// Prometheus metrics of the operator (served on /metrics).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'tapedeck_operator_reconciles_total',
    help: 'Reconciles of Recordings by result (success, error).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'tapedeck_operator_reconcile_duration_seconds',
    help: 'Time one reconcile of a Recording takes, agent calls included.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly sessionActions = new Counter({
    name: 'tapedeck_operator_session_actions_total',
    help: 'Session starts and stops sent to agents by result.',
    labelNames: ['action', 'result'] as const,
    registers: [this.registry],
  });
  readonly sessionsRunning = new Gauge({
    name: 'tapedeck_operator_sessions_running',
    help: 'Capture sessions reported running by agents at the last reconcile of each Recording.',
    labelNames: ['namespace', 'recording'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'tapedeck_operator_errors_total',
    help: 'Errors by kind (reconcile, agent, event, status, conflict, fenced).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly credentialRefreshes = new Counter({
    name: 'tapedeck_operator_credential_refreshes_total',
    help: 'Export credentials sent again to a running session: expiring (before their end) or none held (the agent restarted).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly nodeGaps = new Counter({
    name: 'tapedeck_operator_node_gaps_total',
    help: 'Times a node was not recording during an iteration (gaps in node rows), counted when the gap closes.',
    labelNames: ['namespace', 'recording'] as const,
    registers: [this.registry],
  });
  readonly statusPatches = new Counter({
    name: 'tapedeck_operator_status_patches_total',
    help: 'Status patches written to Recordings.',
    registers: [this.registry],
  });
  readonly statusPatchBytes = new Counter({
    name: 'tapedeck_operator_status_patch_bytes_total',
    help: 'Bytes of the statuses written (the API server stores the whole object on every patch).',
    registers: [this.registry],
  });
  readonly leaderEpoch = new Gauge({
    name: 'tapedeck_operator_leader_epoch',
    help: 'Leader epoch (the Lease leaseTransitions + 1) this replica sends to agents while leading.',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'tapedeck_operator_leader',
    help: '1 while this replica holds the leader Lease.',
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}
