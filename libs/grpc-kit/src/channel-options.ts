/**
 * Channel settings for calls between alertgate's services: calls spread round robin over every
 * address the target resolves to (a headless Service's pods, or a multi-address target), where
 * grpc-js' default pick_first would send them all to one replica; keepalive so a dead peer is
 * noticed; and a short reconnect backoff (grpc-js defaults to up to 120 s) so that a restarted
 * peer is used again within a second instead of failing every webhook for minutes. A connection
 * that drops makes the channel resolve the name again, at most once a second: grpc-js' default of
 * 30 s left the gateway dialing a rolled Deployment's old pod addresses, refused, for that long.
 * The servers' maximum connection age (GRPC_MAX_CONNECTION_AGE) makes it happen for replicas
 * added later too.
 */
export const CHANNEL_OPTIONS = {
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
  'grpc.dns_min_time_between_resolutions_ms': 1_000,
  'grpc.enable_retries': 0,
} as const;
