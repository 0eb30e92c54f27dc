import { descriptorSetBase64 } from '@alertgate/proto';

import { DescriptorIndex } from './reflection-service.js';

describe('DescriptorIndex over the generated descriptor set', () => {
  const index = new DescriptorIndex(Buffer.from(descriptorSetBase64, 'base64'));

  it('knows every service of proto/ plus health and reflection', () => {
    expect(index.serviceNames).toEqual(
      expect.arrayContaining([
        'alertgate.dedup.v1.DedupService',
        'alertgate.crdwriter.v1.CrdWriterService',
        'alertgate.storm.v1.StormService',
        'alertgate.ratelimit.v1.RateLimitService',
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
      ]),
    );
  });

  it('finds the file of a symbol and serves it with its imports, exact bytes', () => {
    const file = index.fileOfSymbol('.alertgate.dedup.v1.DedupService.CheckBatch');
    expect(file).toBe('alertgate/dedup/v1/dedup.proto');
    const closure = index.closure(file ?? '') ?? [];
    expect(closure.length).toBe(3); // dedup.proto, signal.proto, google/protobuf/timestamp.proto
    expect(index.fileOfSymbol('alertgate.signal.v1.Signal')).toBe('alertgate/signal/v1/signal.proto');
    expect(index.fileOfSymbol('no.such.Thing')).toBeUndefined();
  });
});
