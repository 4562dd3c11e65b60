import type { PrismaClient } from '../db/client.js';
import type { WebhookAccount } from '../providers/templates/types.js';
import { valuesAt } from './crypto.js';
import type { InboundRequest } from './types.js';

/** Account values one event names, per connection metadata key. */
export function accountValues(
  accounts: readonly WebhookAccount[],
  req: InboundRequest,
  payload: unknown,
): Map<string, Set<string>> {
  const byKey = new Map<string, Set<string>>();
  for (const { field, metadata } of accounts) {
    const values = field.startsWith('header:')
      ? [req.headers[field.slice('header:'.length)]]
      : valuesAt(payload, field);
    for (const v of values) {
      if (typeof v !== 'string' && typeof v !== 'number') continue;
      const set = byKey.get(metadata) ?? new Set<string>();
      set.add(String(v));
      byKey.set(metadata, set);
    }
  }
  return byKey;
}

/** Most account values matched per event (a Slack revocation lists users; bounded anyway). */
const MAX_VALUES = 100;

/**
 * The provider's connections (not revoked) whose metadata holds any of the values, each
 * compared as text (`installation.id` 42 in the event matches `"42"` kept from a
 * callback parameter), oldest first.
 *
 * @example await matchConnections(prisma, 'github', new Map([['installation_id', new Set(['42'])]]))
 */
export async function matchConnections(
  prisma: PrismaClient,
  providerKey: string,
  values: Map<string, Set<string>>,
): Promise<string[]> {
  const ids = new Set<string>();
  for (const [key, set] of values) {
    const wanted = [...set].slice(0, MAX_VALUES);
    if (wanted.length === 0) continue;
    const rows = await prisma.$queryRaw<{ id: string }[]>`
      SELECT id FROM connections
      WHERE provider_key = ${providerKey} AND status <> 'revoked'
        AND metadata ->> ${key} = ANY(${wanted}::text[])
      ORDER BY created_at, id`;
    for (const r of rows) ids.add(r.id);
  }
  return [...ids];
}
