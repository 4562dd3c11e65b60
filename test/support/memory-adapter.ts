import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * An oidc-provider storage adapter over plain Maps, one store per provider instance.
 * oidc-provider's built-in memory adapter keeps at most 1000 entries in one LRU shared by
 * every provider in the process: with hundreds of grants it silently evicts live ones
 * (their refresh then fails with invalid_grant).
 *
 * `revokeGrant: false` makes a revocation remove only the token presented, not every token
 * of its grant (oidc-provider always does the latter; many providers do the former).
 *
 * @example
 * new Provider(issuer, { adapter: unboundedMemoryAdapter() });
 */
export function unboundedMemoryAdapter({ revokeGrant = true } = {}) {
  const store = new Map<string, AdapterPayload>();
  const byGrant = new Map<string, Set<string>>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();

  return class UnboundedMemoryAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private key(id: string) {
      return `${this.model}:${id}`;
    }

    upsert(id: string, payload: AdapterPayload): Promise<void> {
      const key = this.key(id);
      store.set(key, { ...payload });
      if (payload.grantId) {
        const members = byGrant.get(payload.grantId) ?? new Set<string>();
        members.add(key);
        byGrant.set(payload.grantId, members);
      }
      if (this.model === 'Session' && payload.uid) byUid.set(payload.uid, id);
      if (payload.userCode) byUserCode.set(payload.userCode, id);
      return Promise.resolve();
    }

    find(id: string): Promise<AdapterPayload | undefined> {
      return Promise.resolve(store.get(this.key(id)));
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = byUid.get(uid);
      return id === undefined ? Promise.resolve(undefined) : this.find(id);
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = byUserCode.get(userCode);
      return id === undefined ? Promise.resolve(undefined) : this.find(id);
    }

    consume(id: string): Promise<void> {
      const payload = store.get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      return Promise.resolve();
    }

    destroy(id: string): Promise<void> {
      store.delete(this.key(id));
      return Promise.resolve();
    }

    revokeByGrantId(grantId: string): Promise<void> {
      if (!revokeGrant) return Promise.resolve();
      for (const key of byGrant.get(grantId) ?? []) store.delete(key);
      byGrant.delete(grantId);
      return Promise.resolve();
    }
  };
}
