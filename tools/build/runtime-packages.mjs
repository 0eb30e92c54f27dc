// The npm packages an app bundle still loads from node_modules at run time, each with its reason.
// Everything else an app imports is bundled into its main.js, so that an image carries its
// bundle and the production closure of these packages only (runtime-modules.mjs).
export const RUNTIME_PACKAGES = [
  // OpenTelemetry's instrumentations patch these as they are required (node:http is Node's own).
  '@grpc/grpc-js',
  'ioredis',
  // These load their .proto files from their own package directory.
  'grpc-health-check',
  '@grpc/reflection',
];
