import { Counter } from 'prom-client';
import type { Prisma } from '../generated/prisma/client.js';
import { registry } from '../observability/metrics.js';
import { enqueueEvent } from '../webhooks/outbox.js';

/** How long refreshes of a misconfigured provider wait before one probes it again. */
export const PROBE_INTERVAL_MS = 5 * 60_000;

/** The `last_error` of a refresh held back while the provider waits for its next probe. */
export const HELD_BACK = 'provider_misconfigured';

export const providerFaults = new Counter({
  name: 'token_broker_provider_faults_total',
  help: 'Refreshes refused because the provider rejects the broker’s client (invalid_client, unauthorized_client)',
  labelNames: ['provider', 'class'] as const,
  registers: [registry],
});

/**
 * Marks a provider `misconfigured` after it refused the broker's client, and schedules the
 * next probe. The first refusal of an episode emits `provider.misconfigured`; the
 * conditional update lets exactly one replica do so.
 */
export async function markMisconfigured(
  tx: Prisma.TransactionClient,
  key: string,
  reason: string,
  now: Date,
): Promise<void> {
  providerFaults.inc({ provider: key, class: reason });
  const probeAt = new Date(now.getTime() + PROBE_INTERVAL_MS);
  const entered = await tx.provider.updateMany({
    where: { key, status: 'active' },
    data: { status: 'misconfigured', statusReason: reason, statusSince: now, probeAt },
  });
  if (entered.count === 0) {
    await tx.provider.updateMany({ where: { key }, data: { probeAt } });
    return;
  }
  await enqueueEvent(
    tx,
    'provider.misconfigured',
    { provider: key, status: 'misconfigured', error: reason },
    now,
  );
}

/**
 * Back to `active` (a refresh got through, or an admin replaced the configuration):
 * connections that waited for the provider are due again at once.
 */
export async function markActive(
  tx: Prisma.TransactionClient,
  key: string,
  now: Date,
): Promise<void> {
  const left = await tx.provider.updateMany({
    where: { key, status: 'misconfigured' },
    data: { status: 'active', statusReason: null, statusSince: null, probeAt: null },
  });
  if (left.count === 0) return;
  await tx.connection.updateMany({
    where: {
      providerKey: key,
      status: 'active',
      lastError: { in: ['invalid_client', 'unauthorized_client', HELD_BACK] },
    },
    data: { nextRefreshAt: now },
  });
  await enqueueEvent(tx, 'provider.recovered', { provider: key, status: 'active' }, now);
}
