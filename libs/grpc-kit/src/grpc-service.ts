import type { Server, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';

/** A gRPC service ready to be mounted: grpc-node's addToServer shape plus its full name for health. */
export interface GrpcService {
  /** Fully qualified name, e.g. "alertgate.dedup.v1.DedupService" (health checks use it). */
  readonly name: string;
  addToServer(server: Server): void;
}

export function defineService(name: string, definition: ServiceDefinition, implementation: UntypedServiceImplementation): GrpcService {
  return {
    name,
    addToServer: (server) => server.addService(definition, implementation),
  };
}
