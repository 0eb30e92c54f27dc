/**
 * A counter's value as a process serves it on /metrics: the sum over the series of `name` whose
 * labels include every one of `labels` (0 when none is served yet).
 */
export async function counterValue(metricsUrl: string, name: string, labels: Readonly<Record<string, string>>): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} (\S+)$/.exec(line);
    if (match?.[1] === name && wanted.every((pair) => match[2]?.split(',').includes(pair))) sum += Number(match[3]);
  }
  return sum;
}
