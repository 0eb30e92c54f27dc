// Entry point. The OpenTelemetry SDK starts before anything it instruments (@grpc/grpc-js,
// ioredis) is loaded: this file imports nothing else, and the rest of the app arrives through
// the dynamic import below.
import { startTelemetry } from '@alertgate/telemetry-sdk';

const telemetry = startTelemetry({ serviceName: 'alertgate-storm', serviceVersion: '0.1.0' });
void import('./run.js').then(({ start }) => start(telemetry));
