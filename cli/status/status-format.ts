// A Recording as a person wants to read it, kubectl-describe style: what it is doing, what is wrong
// (conditions not True, node messages, gaps), per-node rows, what was exported, recent Events.
import type { EventView } from '../cluster/cluster.js';
import type { Counts, NodeRow, RecordingView } from '../cluster/recording-view.js';
import { age, formatTable, humanBytes } from '../format/table.js';

const RECENT_EVENTS = 10;

function counts(c: Counts | undefined): string {
  if (!c) return '-';
  const lost = c.packetsLost ? `, ${c.packetsLost} lost (${humanBytes(c.bytesLost ?? 0)})` : ', none lost';
  return `${c.packetsCaptured ?? 0} packets (${humanBytes(c.bytesCaptured ?? 0)})${lost}`;
}

function files(row: NodeRow): string {
  const list = row.files ?? [];
  if (list.length === 0) return '-';
  const exported = list.filter((f) => f.exported).length;
  return `${list.length} (${exported} exported)`;
}

function destination(recording: RecordingView): string {
  const { s3, gcs } = recording.spec?.export ?? {};
  if (s3) return `s3://${s3.bucket}/${s3.prefix ?? ''}${s3.endpoint ? ` at ${s3.endpoint}` : ''}`;
  if (gcs) return `gs://${gcs.bucket}/${gcs.prefix ?? ''}${gcs.endpoint ? ` at ${gcs.endpoint}` : ''}`;
  return "the chart's default destination, if any";
}

function section(title: string, body: string): string {
  return `\n${title}:\n${body
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}`;
}

export function formatStatus(recording: RecordingView, events: readonly EventView[], now: Date): string {
  const status = recording.status ?? {};
  const m = recording.metadata;
  const lines: string[] = [];
  const field = (name: string, value: string): void => void lines.push(`${`${name}:`.padEnd(14)}${value}`);
  field('Recording', `${m.namespace}/${m.name}`);
  field(
    'Run',
    `${(m.uid ?? '').replace(/-/g, '').slice(0, 8)} (uid ${m.uid ?? '-'}), created ${age(m.creationTimestamp, now)} ago`,
  );
  if (m.deletionTimestamp) field('Deleting', `since ${age(m.deletionTimestamp, now)} ago`);
  field('Phase', `${status.phase ?? 'Pending (no status yet: is the operator running?)'}`);
  field('Iteration', `${status.iteration ?? 0}${status.nodesReady ? `, nodes ready ${status.nodesReady}` : ''}`);
  const times = [
    status.lastStartTime ? `started ${age(status.lastStartTime, now)} ago` : undefined,
    status.lastStopTime
      ? `stopped ${age(status.lastStopTime, now)} ago (${status.stopReason ?? 'reason unknown'})`
      : undefined,
    status.nextStartTime ? `next start ${age(status.nextStartTime, now)}` : undefined,
  ].filter(Boolean);
  if (times.length > 0) field('Schedule', times.join(', '));
  field('Totals', counts(status.totals));
  field('Export', destination(recording));
  const nc = status.nodeCounts;
  if (nc?.folded) field('Folded', `${nc.folded} healthy nodes counted but not listed (targeted ${nc.targeted ?? '-'})`);

  const conditions = status.conditions ?? [];
  if (conditions.length > 0) {
    lines.push(
      section(
        'Conditions',
        formatTable([
          ['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
          ...conditions.map((c) => [
            c.type,
            c.status,
            c.reason ?? '-',
            age(c.lastTransitionTime, now),
            c.message ?? '',
          ]),
        ]),
      ),
    );
  }
  const nodes = status.nodes ?? [];
  if (nodes.length > 0) {
    lines.push(
      section(
        'Nodes',
        formatTable([
          ['NODE', 'PHASE', 'SINCE', 'PACKETS', 'BYTES', 'LOST', 'FILES', 'GAPS', 'MESSAGE'],
          ...nodes.map((n) => [
            n.name,
            n.phase ?? '-',
            age(n.since, now),
            String(n.packetsCaptured ?? 0),
            humanBytes(n.bytesCaptured ?? 0),
            n.packetsLost ? `${n.packetsLost} (${humanBytes(n.bytesLost ?? 0)})` : '0',
            files(n),
            String(n.gaps?.length ?? 0),
            n.message ?? '',
          ]),
        ]),
      ),
    );
  }
  const gaps = nodes.flatMap((n) => (n.gaps ?? []).map((g) => ({ node: n.name, ...g })));
  if (gaps.length > 0) {
    lines.push(
      section(
        'Gaps',
        formatTable([
          ['NODE', 'FROM', 'TO', 'REASON'],
          ...gaps.map((g) => [g.node, g.from, g.to ?? '(open)', g.reason]),
        ]),
      ),
    );
  }
  const artifacts = status.artifacts ?? [];
  if (artifacts.length > 0) {
    lines.push(
      section(
        'Artifacts',
        formatTable([
          ['NODE', 'ITERATION', 'FORMAT', 'SIZE', 'URL'],
          ...artifacts.map((a) => [
            a.node,
            String(a.iteration ?? '-'),
            a.format ?? '-',
            a.bytes === undefined ? '-' : humanBytes(a.bytes),
            a.url,
          ]),
        ]),
      ),
    );
  } else {
    lines.push('\nArtifacts:    none exported yet');
  }
  const recent = [...events].sort((a, b) => (a.last ?? '').localeCompare(b.last ?? '')).slice(-RECENT_EVENTS);
  lines.push(
    recent.length === 0
      ? '\nEvents:       none'
      : section(
          'Events',
          formatTable([
            ['AGE', 'TYPE', 'REASON', 'FROM', 'MESSAGE'],
            ...recent.map((e) => [
              age(e.last, now),
              e.type ?? '-',
              e.reason ?? '-',
              e.source ?? '-',
              `${e.message ?? ''}${e.count && e.count > 1 ? ` (x${e.count})` : ''}`,
            ]),
          ]),
        ),
  );
  return lines.join('\n');
}
