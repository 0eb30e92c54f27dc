import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { grpcurlPath, repoRoot } from '@alertgate/testing';

import { PipelineFixture } from './support/pipeline-fixture.js';

const run = promisify(execFile);

async function grpcurl(...args: string[]): Promise<string> {
  const { stdout } = await run(grpcurlPath(), ['-plaintext', ...args], { timeout: 15_000 });
  return stdout;
}

async function grpcurlFails(...args: string[]): Promise<string> {
  try {
    await grpcurl(...args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error('expected grpcurl to fail');
}

const fingerprint = createHash('sha256').update('grpcurl').digest('hex');

describe('grpcurl and buf curl can list, describe and call every service through reflection', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    fixture = await PipelineFixture.start('grpcurl');
  });
  afterAll(() => fixture?.close());

  const services = () => [
    { address: fixture.system!.dedupAddress, service: 'alertgate.dedup.v1.DedupService', methods: ['Adopt', 'CheckBatch', 'Forget', 'ForgetBatch'] },
    { address: fixture.system!.crdWriterAddress, service: 'alertgate.crdwriter.v1.CrdWriterService', methods: ['ApplyBatch'] },
    { address: fixture.system!.ratelimitAddress, service: 'alertgate.ratelimit.v1.RateLimitService', methods: ['Admit', 'CheckSource', 'ReserveCreations'] },
    { address: fixture.system!.stormAddress, service: 'alertgate.storm.v1.StormService', methods: ['EvaluateBatch'] },
  ];

  it('lists and describes every service and method, and health answers SERVING', async () => {
    for (const { address, service, methods } of services()) {
      const list = (await grpcurl(address, 'list')).split('\n');
      expect(list).toEqual(expect.arrayContaining([service, 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection']));
      expect((await grpcurl(address, 'list', service)).split('\n').filter(Boolean)).toEqual(methods.map((m) => `${service}.${m}`));
      const described = await grpcurl(address, 'describe', service);
      for (const method of methods) expect(described).toContain(`rpc ${method} (`);
      // Messages resolve across files (the signal package is imported), as grpcurl needs to call.
      expect(await grpcurl(address, 'describe', 'alertgate.signal.v1.Signal')).toContain('.google.protobuf.Timestamp starts_at = 11;');
      expect(JSON.parse(await grpcurl(address, 'grpc.health.v1.Health/Check'))).toEqual({ status: 'SERVING' });
      expect(JSON.parse(await grpcurl('-d', JSON.stringify({ service }), address, 'grpc.health.v1.Health/Check'))).toEqual({ status: 'SERVING' });
    }
  });

  it('calls dedup by hand: CheckBatch, Forget, Adopt', async () => {
    const dedup = fixture.system!.dedupAddress;
    const request = { signals: [{ fingerprint, status: 'STATUS_FIRING' }] };
    const first = JSON.parse(await grpcurl('-d', JSON.stringify(request), dedup, 'alertgate.dedup.v1.DedupService/CheckBatch')) as {
      decisions: { outcome: string; incident: { id: string; occurrences: number } }[];
    };
    expect(first.decisions[0]).toMatchObject({ outcome: 'OUTCOME_NEW', incident: { occurrences: 1 } });
    const forget = JSON.parse(
      await grpcurl('-d', JSON.stringify({ fingerprint, incident_id: first.decisions[0]?.incident.id }), dedup, 'alertgate.dedup.v1.DedupService/Forget'),
    );
    expect(forget).toEqual({ forgotten: true });
    const adopt = JSON.parse(
      await grpcurl(
        '-d',
        JSON.stringify({ fingerprint, incident_id: first.decisions[0]?.incident.id, occurrences: 5 }),
        dedup,
        'alertgate.dedup.v1.DedupService/Adopt',
      ),
    ) as { incident: { id: string; occurrences: number } };
    expect(adopt.incident).toMatchObject({ id: first.decisions[0]?.incident.id, occurrences: 5 });
    const batch = JSON.parse(
      await grpcurl(
        '-d',
        JSON.stringify({ incidents: [{ fingerprint, incident_id: `${fingerprint.slice(0, 12)}-1` }] }),
        dedup,
        'alertgate.dedup.v1.DedupService/ForgetBatch',
      ),
    ) as { forgotten: boolean[] };
    // Not the open incident's id: nothing forgotten (false is proto3's default, so omitted).
    expect(batch.forgotten).toEqual([false]);
    const invalid = await grpcurlFails(
      '-d',
      '{"signals":[{"fingerprint":"nope","status":"STATUS_FIRING"}]}',
      dedup,
      'alertgate.dedup.v1.DedupService/CheckBatch',
    );
    expect(invalid).toContain('Code: InvalidArgument');
    expect(invalid).toContain('signals[0].fingerprint');
  });

  it("calls dedup by hand with a workload incident's pods: a pod's resolution while another fires keeps it open", async () => {
    const dedup = fixture.system!.dedupAddress;
    const workload = 'b'.repeat(64);
    const check = async (signals: object[]) =>
      (
        JSON.parse(await grpcurl('-d', JSON.stringify({ signals }), dedup, 'alertgate.dedup.v1.DedupService/CheckBatch')) as {
          decisions: { outcome: string; incident?: { pods?: number } }[];
        }
      ).decisions;
    const fired = await check([
      { fingerprint: workload, status: 'STATUS_FIRING', pod: 'web-1' },
      { fingerprint: workload, status: 'STATUS_FIRING', pod: 'web-2' },
    ]);
    expect(fired.map((d) => [d.outcome, d.incident?.pods])).toEqual([
      ['OUTCOME_NEW', 1],
      ['OUTCOME_DUPLICATE', 2],
    ]);
    const resolved = await check([
      { fingerprint: workload, status: 'STATUS_RESOLVED', pod: 'web-1' },
      { fingerprint: workload, status: 'STATUS_RESOLVED', pod: 'web-2' },
    ]);
    expect(resolved.map((d) => d.outcome)).toEqual(['OUTCOME_POD_RESOLVED', 'OUTCOME_RESOLVED']);
    const invalid = await grpcurlFails(
      '-d',
      JSON.stringify({ signals: [{ fingerprint: workload, status: 'STATUS_FIRING', pod: 'p'.repeat(254) }] }),
      dedup,
      'alertgate.dedup.v1.DedupService/CheckBatch',
    );
    expect(invalid).toContain('Code: InvalidArgument');
    expect(invalid).toContain('signals[0].pod');
  });

  it('calls crd-writer by hand: ApplyBatch creates the resource', async () => {
    const update = {
      updates: [
        {
          action: 'ACTION_OPEN',
          incident_id: `${fingerprint.slice(0, 12)}-lzz0abcd`,
          first_seen: '2026-11-26T10:00:00Z',
          last_seen: '2026-11-26T10:00:00Z',
          occurrences: 1,
          signal: {
            fingerprint,
            alertname: 'ByHand',
            namespace: 'tools',
            status: 'STATUS_FIRING',
            source: 'SOURCE_ALERTMANAGER',
            target: { kind: 'pod', name: 'p' },
          },
        },
      ],
    };
    const reply = JSON.parse(
      await grpcurl('-d', JSON.stringify(update), fixture.system!.crdWriterAddress, 'alertgate.crdwriter.v1.CrdWriterService/ApplyBatch'),
    );
    expect(reply).toEqual({ results: [{ effect: 'EFFECT_CREATED', resource: { namespace: 'tools', name: `byhand-${fingerprint.slice(0, 12)}-lzz0abcd` } }] });
    expect(fixture.resources().map((rr) => rr.spec.alertname)).toContain('ByHand');
  });

  it('calls storm and ratelimit by hand', async () => {
    const signal = { fingerprint, alertname: 'ByHand', namespace: 'tools', status: 'STATUS_FIRING', target: { kind: 'pod', name: 'p' } };
    const storm = JSON.parse(
      await grpcurl(
        '-d',
        JSON.stringify({ inputs: [{ signal, new_incident: true }] }),
        fixture.system!.stormAddress,
        'alertgate.storm.v1.StormService/EvaluateBatch',
      ),
    ) as {
      verdicts: Record<string, unknown>[];
    };
    // One alert is no storm: the verdict says so (folded false is the default and omitted).
    expect(storm.verdicts).toEqual([{ fingerprint }]);
    const source = JSON.parse(
      await grpcurl('-d', '{"source":"a:192.0.2.9"}', fixture.system!.ratelimitAddress, 'alertgate.ratelimit.v1.RateLimitService/CheckSource'),
    ) as { quota: { admitted: boolean } };
    expect(source.quota.admitted).toBe(true);
    const budget = JSON.parse(
      await grpcurl(
        '-d',
        '{"demands":[{"namespace":"tools","count":2}]}',
        fixture.system!.ratelimitAddress,
        'alertgate.ratelimit.v1.RateLimitService/ReserveCreations',
      ),
    ) as { grants: { namespace: string; granted: number }[] };
    expect(budget.grants).toEqual([expect.objectContaining({ namespace: 'tools', granted: 2 })]);
    // The gateway's call: each webhook's source and budget, for a batch of webhooks in one.
    const admit = JSON.parse(
      await grpcurl(
        '-d',
        '{"admissions":[{"source":"a:192.0.2.9","demands":[{"namespace":"tools","count":1}]},{"source":"a:192.0.2.10"}]}',
        fixture.system!.ratelimitAddress,
        'alertgate.ratelimit.v1.RateLimitService/Admit',
      ),
    ) as { results: { quota: { admitted: boolean }; grants?: { namespace: string; granted: number }[] }[] };
    expect(admit.results.map((r) => r.quota.admitted)).toEqual([true, true]);
    expect(admit.results[0]?.grants).toEqual([expect.objectContaining({ namespace: 'tools', granted: 1 })]);
  });

  it('buf curl lists the methods and calls one', async () => {
    const buf = join(repoRoot(), 'node_modules', '.bin', 'buf');
    for (const { address, service, methods } of services()) {
      const { stdout } = await run(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--list-methods', `http://${address}`], { timeout: 15_000 });
      for (const method of methods) expect(stdout).toContain(`${service}/${method}`);
    }
    const { stdout } = await run(
      buf,
      [
        'curl',
        '--protocol',
        'grpc',
        '--http2-prior-knowledge',
        '-d',
        JSON.stringify({ signals: [{ fingerprint, status: 'STATUS_RESOLVED' }] }),
        `http://${fixture.system!.dedupAddress}/alertgate.dedup.v1.DedupService/CheckBatch`,
      ],
      { timeout: 15_000 },
    );
    // The incident adopted above is open: this resolution closes it.
    expect(JSON.parse(stdout)).toMatchObject({ decisions: [{ fingerprint, outcome: 'OUTCOME_RESOLVED', incident: { occurrences: 5 } }] });
  });
});
