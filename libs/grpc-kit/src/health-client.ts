import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';

type Channel = ReturnType<Client['getChannel']>;
import { service as healthService } from 'grpc-health-check';

export type PeerHealth = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN' | 'UNREACHABLE';

const HealthClientCtor = makeGenericClientConstructor(healthService, 'Health');

/**
 * Asks a peer's grpc.health.v1.Health/Check, as readiness probes do. Pass the channel of the
 * client that does the real calls, so that "ready" means that very channel is connected.
 */
export class HealthClient {
  private readonly client: Client;

  constructor(address: string, channel?: Channel) {
    this.client = new HealthClientCtor(address, credentials.createInsecure(), channel ? { channelOverride: channel } : {});
  }

  check(timeoutMs: number, service = ''): Promise<PeerHealth> {
    return new Promise((resolve) => {
      const check = (this.client as unknown as Record<string, (...args: unknown[]) => void>)['check'];
      if (!check) {
        resolve('UNKNOWN');
        return;
      }
      check.call(
        this.client,
        { service },
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, response: { status?: string | number } | undefined) => {
          if (err) resolve('UNREACHABLE');
          else
            resolve(
              typeof response?.status === 'string'
                ? (response.status as PeerHealth)
                : (['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][Number(response?.status)] as PeerHealth),
            );
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
