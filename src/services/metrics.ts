import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

export interface Metrics {
  readonly contentType: string;
  render(): Promise<string>;
  readonly logins: Counter<'kind' | 'outcome'>;
}

/** One registry per app (no global state): process metrics plus sump's own counters. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const logins = new Counter({
    name: 'sump_logins_total',
    help: 'Sign-in attempts by kind (tenant, environment, hosted) and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    logins,
  };
}
