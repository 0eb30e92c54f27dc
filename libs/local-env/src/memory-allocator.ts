import { existsSync } from 'node:fs';

/** Where Debian's libjemalloc2 puts the library, per architecture. */
const JEMALLOC_PATHS = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'];

/**
 * The C allocator the services run with, as in the images (docker/Dockerfile): jemalloc, where
 * the machine has it. glibc's malloc keeps freed memory that lies amid its main heap, so a burst
 * of large request bodies left the gateway's RSS 12–20% above its start for good; jemalloc gives
 * it back within seconds (docs/reliability.md, the fuzz run). Debian's redis-server, which
 * `npm start` and the tests install, depends on libjemalloc2, so it is there wherever they run;
 * without it the services run on glibc's malloc, and only their memory figures differ.
 */
export function memoryAllocatorEnv(): Readonly<Record<string, string>> {
  const library = JEMALLOC_PATHS.find((path) => existsSync(path));
  return library === undefined ? {} : { LD_PRELOAD: library };
}
