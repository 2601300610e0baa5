// Invalid Recordings, continued (see crd-invalid-cases.ts): output, sinks, retention, export,
// target and metadata.
import type { InvalidCase } from './crd-invalid-cases.js';

const sink = (entry: Record<string, unknown>): Record<string, unknown> => ({
  output: { formats: ['json'], sinks: [{ name: 'out', ...entry }] },
});

export const invalidOutputCases: InvalidCase[] = [
  {
    title: 'a duplicate output format',
    spec: { output: { formats: ['pcap', 'json', 'pcap'] } },
    path: 'spec.output.formats[2]',
    phrase: 'Duplicate value: "pcap"',
  },
  {
    title: 'an unknown output format',
    spec: { output: { formats: ['pcapx'] } },
    path: 'spec.output.formats[0]',
    phrase: 'Unsupported value: "pcapx"',
  },
  {
    title: 'no output format',
    spec: { output: { formats: [] } },
    path: 'spec.output.formats',
    phrase: 'should have at least 1 items',
  },
  {
    title: 'json options without the json format',
    spec: { output: { formats: ['pcap'], json: { redact: { disabled: true } } } },
    path: 'spec.output.json',
    phrase: 'json options need the json format in formats',
  },
  {
    title: 'a redacted header name that is not a token',
    spec: { output: { formats: ['json'], json: { redact: { headers: ['X Api Key'] } } } },
    path: 'spec.output.json.redact.headers[0]',
    phrase: 'should match',
  },
  {
    title: 'a rotation size below 1Mi',
    spec: { output: { rotation: { maxFileBytes: '1Ki' } } },
    path: 'spec.output.rotation.maxFileBytes',
    phrase: 'between 1Mi and 16Gi',
  },
  {
    title: 'a rotation age over 24h',
    spec: { output: { rotation: { maxFileAge: '48h' } } },
    path: 'spec.output.rotation.maxFileAge',
    phrase: 'must be 0s or between 1s and 24h',
  },
  {
    title: 'sinks without the json format',
    spec: { output: { formats: ['pcap'], sinks: [{ name: 'out', tcp: { address: 'collector:9000' } }] } },
    path: 'spec.output.sinks',
    phrase: 'need the json format',
  },
  {
    title: 'a sink of two kinds',
    spec: sink({ tcp: { address: 'collector:9000' }, http: { url: 'http://collector:8080/' } }),
    path: 'spec.output.sinks[0]',
    phrase: 'exactly one of file, tcp, http or redis',
  },
  {
    title: 'a TCP sink port above 65535',
    spec: sink({ tcp: { address: 'collector:99999' } }),
    path: 'spec.output.sinks[0].tcp.address',
    phrase: 'port up to 65535',
  },
  {
    title: 'an HTTP sink with an ftp URL',
    spec: sink({ http: { url: 'ftp://collector/records' } }),
    path: 'spec.output.sinks[0].http.url',
    phrase: 'absolute http or https URL',
  },
  {
    title: 'a redis sink with a hash key type',
    spec: sink({ redis: { address: 'redis:6379', key: 'records', type: 'hash' } }),
    path: 'spec.output.sinks[0].redis.type',
    phrase: 'Unsupported value: "hash"',
  },
  {
    title: 'a redis password Secret with an invalid name',
    spec: sink({ redis: { address: 'redis:6379', key: 'records', passwordSecret: { name: 'Redis_Auth' } } }),
    path: 'spec.output.sinks[0].redis.passwordSecret.name',
    phrase: 'should match',
  },
  {
    title: 'a file sink name with a directory',
    spec: sink({ file: { name: '../../etc/cron.d/x' } }),
    path: 'spec.output.sinks[0].file.name',
    phrase: 'should match',
  },
  {
    title: 'dnstap options without the dnstap format',
    spec: { output: { formats: ['pcap'], dnstap: { full: false } } },
    path: 'spec.output.dnstap',
    phrase: 'need the dnstap format',
  },
  {
    title: 'an expiry of zero',
    spec: { retention: { expireAfter: '0s' } },
    path: 'spec.retention.expireAfter',
    phrase: 'must be between 1m and 8760h',
  },
  {
    title: 'a pcap TTL beyond the expiry',
    spec: { retention: { pcapTTL: '100h', expireAfter: '72h' } },
    path: 'spec.retention.pcapTTL',
    phrase: 'must not exceed expireAfter',
  },
  {
    title: 'deleting the exported objects with the Recording (the bucket lifecycle owns them)',
    spec: { retention: { onDelete: { exported: 'Delete' } } },
    path: 'spec.retention.onDelete.exported',
    phrase: 'supported values: "Retain"',
  },
  {
    title: 'both S3 and GCS',
    spec: { export: { s3: { bucket: 'traffic' }, gcs: { bucket: 'traffic' } } },
    path: 'spec.export',
    phrase: 'at most one export destination',
  },
  {
    title: 'an S3 bucket with capitals and underscores',
    spec: { export: { s3: { bucket: 'My_Bucket' } } },
    path: 'spec.export.s3.bucket',
    phrase: 'should match',
  },
  {
    title: 'an S3 bucket named like an IP address',
    spec: { export: { s3: { bucket: '192.168.1.1' } } },
    path: 'spec.export.s3.bucket',
    phrase: 'valid S3 bucket name',
  },
  {
    title: 'a GCS bucket containing google',
    spec: { export: { gcs: { bucket: 'my-google-traffic' } } },
    path: 'spec.export.gcs.bucket',
    phrase: 'valid GCS bucket name',
  },
  {
    title: 'an S3 credentials Secret name with spaces',
    spec: { export: { s3: { bucket: 'traffic', credentialsSecret: { name: 's3 creds' } } } },
    path: 'spec.export.s3.credentialsSecret.name',
    phrase: 'should match',
  },
  {
    title: 'a prefix with a .. segment',
    spec: { export: { s3: { bucket: 'traffic', prefix: 'prod/../other' } } },
    path: 'spec.export.s3.prefix',
    phrase: "'..' segment",
  },
  {
    title: 'an endpoint that is not a URL',
    spec: { export: { s3: { bucket: 'traffic', endpoint: 'minio:9000' } } },
    path: 'spec.export.s3.endpoint',
    phrase: 'absolute http or https URL',
  },
  {
    title: 'interface any combined with eth0',
    spec: { target: { interfaces: ['any', 'eth0'] } },
    path: 'spec.target.interfaces',
    phrase: "'any' already covers every interface",
  },
  {
    title: 'an interface name with a slash',
    spec: { target: { interfaces: ['eth0/x'] } },
    path: 'spec.target.interfaces[0]',
    phrase: 'should match',
  },
  {
    title: 'an In node selector without values',
    spec: { target: { nodeSelector: { matchExpressions: [{ key: 'pool', operator: 'In' }] } } },
    path: 'spec.target.nodeSelector.matchExpressions[0].values',
    phrase: 'values must be non-empty for In and NotIn',
  },
  {
    title: 'a name longer than 63 characters',
    name: `rec-${'x'.repeat(60)}`,
    spec: {},
    path: 'metadata.name',
    phrase: 'may not be more than 63',
  },
];
