import { mayAccess } from '../connections/access.js';
import type pg from 'pg';
import type { PrismaClient } from '../db/client.js';
import type { AuditOrigin } from '../audit/audit-log.js';
import type { ChangeFeed } from '../cache/change-feed.js';
import type { ServicePolicy } from '../services/service-store.js';
import type { GrantWriterDeps } from '../connections/save.js';
import { createReadCache } from '../cache/read-cache.js';
import { andThen, settled, type Eventually } from '../eventually.js';
import { BrokerError, notFound, rateLimited, upstreamUnavailable } from '../errors/index.js';
import { children, tokenReads } from '../observability/metrics.js';
import { createRefresher, expiresWithin, type RefreshOutcome } from '../refresh/single-flight.js';
import { type Actor } from '../audit/actor.js';
import { createTokenStore, type TokenSnapshot } from '../connections/token-sets.js';

/** Retry-After (seconds) when a provider failed without saying when to come back. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;
const readsOf = children((provider, outcome) => tokenReads.labels(provider, outcome));
/**
 * Decrypted connection snapshots kept per replica. Correctness rests on the change feed
 * (every write notifies; a lost feed disables the cache), so the TTL only bounds memory
 * held by connections nobody reads any more; at 5 s, reloading 1,000 busy connections
 * cost the bench ~6 % of the broker's time (docs/PERFORMANCE.md).
 */
const SNAPSHOT_CACHE = { ttlMs: 30_000, maxEntries: 100_000 };

/** A connection's current access token as handed to a service (shared: never changed). */
export interface TokenView {
  readonly connectionId: string;
  readonly provider: string;
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresAt: Date | null;
  readonly scopes: readonly string[];
  readonly idToken: string | undefined;
  /** Non-secret connection metadata (Salesforce instance_url, QuickBooks realmId…). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Per-connection template values (a Shopify shop): the proxy fills its base URL with them. */
  readonly connectionConfig: Readonly<Record<string, string>>;
}

export interface TokenRead {
  token: TokenView;
  /** Set when a needed refresh failed transiently and the still-valid token is served. */
  refreshError?: 'upstream_unavailable';
}

export type TokenAction =
  | 'token.read'
  | 'token.exchange'
  | 'connection.refresh'
  /** A proxied call (src/proxy): audited like a read, counted in the proxy's own metrics. */
  | 'connection.proxy';

/** "Refresh unless someone did within the last few seconds" (the refresher's own rule). */
const ANY_TTL_SECONDS = 10 * 365 * 86_400;

/** Views by snapshot: a cached snapshot's readers share one view (and its serialised form, see present.ts). */
const views = new WeakMap<TokenSnapshot, TokenView>();

const view = (s: TokenSnapshot): TokenView => {
  const known = views.get(s);
  if (known) return known;
  const t = s.tokens!;
  const made: TokenView = {
    connectionId: s.connectionId,
    provider: s.providerKey,
    accessToken: t.accessToken,
    tokenType: t.tokenType,
    expiresAt: t.expiresAt,
    scopes: s.scopes,
    idToken: t.idToken,
    metadata: s.metadata,
    connectionConfig: s.connectionConfig,
  };
  views.set(s, made);
  return made;
};

/** `AUDIT_FAIL_CLOSED`: no token leaves the broker while its read cannot be audited. */
const auditUnavailable = () =>
  upstreamUnavailable('the audit trail cannot be written; try again shortly', {
    retryAfterSeconds: 1,
    status: 503,
  });

/** 409 with the connection's id, so the app can mint a reconnect session for it at once. */
const reauthorizationRequired = (connectionId: string) =>
  new BrokerError('reauthorization_required', 'the connection needs the user to consent again', {
    details: { connection_id: connectionId },
  });

/** Errors for a connection the caller may see but that has no usable token. */
function ensureActive(s: TokenSnapshot): asserts s is TokenSnapshot & { tokens: object } {
  if (s.status === 'revoked') throw new BrokerError('revoked', 'the connection was revoked');
  if (s.status !== 'active' || !s.tokens) throw reauthorizationRequired(s.connectionId);
}

/**
 * The token read path: a token valid for at least `min_ttl` seconds, refreshed first when
 * needed (single-flight, see refresh.ts), with the transient/permanent split of API.md.
 *
 * @example
 * const tokens = createTokenService({ prisma, pool, keyring, providers, oauth, audit, clock, logger, refreshWindowSeconds: 300, refreshKeepAliveDays: 7 });
 * const { token, refreshError } = await tokens.read(service, 'conn_…', { minTtlSeconds: 60 });
 */
export function createTokenService(
  deps: GrantWriterDeps & {
    pool: pg.Pool;
    /** Invalidation across replicas (`token_broker_connection`) for the snapshot cache. */
    changes: ChangeFeed;
    /** The pool of transactions held across a provider call (`Database.providerCalls`). */
    providerCalls: PrismaClient;
    /** `FORCED_REFRESH_INTERVAL_SECONDS`; 0 leaves forced refreshes unthrottled. */
    forcedRefreshIntervalSeconds: number;
  },
) {
  const store = createTokenStore(deps);
  // Its transactions wait on the provider: they run on the provider-call pool (db/client.ts).
  const refresher = createRefresher({ ...deps, prisma: deps.providerCalls, store });
  const snapshots = createReadCache<TokenSnapshot>({
    name: 'token_snapshot',
    feed: deps.changes,
    channel: 'token_broker_connection',
    ...SNAPSHOT_CACHE,
  });

  /**
   * The connection if the caller may see it; 404 otherwise (existence is not leaked).
   * `cached`: a snapshot from this replica's cache will do (a plain read, not after a refresh).
   */
  function visible(caller: ServicePolicy, id: string, cached = false): Eventually<TokenSnapshot> {
    return andThen(
      cached ? snapshots.get(id, () => store.snapshot(id)) : store.snapshot(id),
      (snap) => {
        if (!snap || !mayAccess(caller, snap)) throw notFound('connection');
        return snap;
      },
    );
  }

  async function afterRefresh(
    caller: ServicePolicy,
    id: string,
    outcome: RefreshOutcome,
  ): Promise<TokenRead> {
    const snap = await visible(caller, id);
    ensureActive(snap);
    if (outcome.kind !== 'failed') return { token: view(snap) };
    const { error } = outcome;
    if (error.permanent) throw reauthorizationRequired(snap.connectionId);
    const expiresAt = snap.tokens.expiresAt;
    if (expiresAt === null || expiresAt > deps.clock.now()) {
      return { token: view(snap), refreshError: 'upstream_unavailable' };
    }
    throw upstreamUnavailable('the provider could not refresh the token', {
      retryAfterSeconds: error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }

  /**
   * One forced refresh per connection per `forcedRefreshIntervalSeconds`, across replicas:
   * a conditional update claims it, so a burst cannot burn the provider's quota.
   * @throws BrokerError rate_limited (429, Retry-After) when one ran within the interval.
   */
  async function claimForcedRefresh(id: string, now: Date): Promise<void> {
    const interval = deps.forcedRefreshIntervalSeconds;
    if (interval === 0) return;
    const { rowCount } = await deps.pool.query(
      `UPDATE connections SET forced_refresh_at = $2
        WHERE id = $1 AND (forced_refresh_at IS NULL OR forced_refresh_at <= $3)`,
      [id, now, new Date(now.getTime() - interval * 1000)],
    );
    if (rowCount === 1) return;
    const { rows } = await deps.pool.query<{ forced_refresh_at: Date | null }>(
      'SELECT forced_refresh_at FROM connections WHERE id = $1',
      [id],
    );
    const last = rows[0]?.forced_refresh_at?.getTime() ?? now.getTime();
    throw rateLimited((last + interval * 1000 - now.getTime()) / 1000);
  }

  /** At once when the snapshot is cached and its token lives long enough (most reads). */
  function readOrRefresh(
    caller: ServicePolicy,
    id: string,
    opts: { minTtlSeconds: number; force: boolean; origin: AuditOrigin | undefined },
  ): Eventually<{ read: TokenRead; provider: string }> {
    return andThen(visible(caller, id, !opts.force), (snap) => {
      ensureActive(snap);
      if (
        !opts.force &&
        !expiresWithin(snap.tokens.expiresAt, opts.minTtlSeconds, deps.clock.now())
      ) {
        return { read: { token: view(snap) }, provider: snap.providerKey };
      }
      return refreshFirst(caller, snap, opts);
    });
  }

  async function refreshFirst(
    caller: ServicePolicy,
    snap: TokenSnapshot,
    opts: { minTtlSeconds: number; force: boolean; origin: AuditOrigin | undefined },
  ): Promise<{ read: TokenRead; provider: string }> {
    const id = snap.connectionId;
    if (opts.force) await claimForcedRefresh(id, deps.clock.now());
    const outcome = await refresher.refresh(id, snap.providerKey, {
      force: opts.force,
      scheduled: false,
      minTtlSeconds: opts.minTtlSeconds,
      seenVersion: snap.version,
      actor: { type: 'service', id: caller.id, origin: opts.origin },
    });
    snapshots.delete(id);
    return { read: await afterRefresh(caller, id, outcome), provider: snap.providerKey };
  }

  function audit(
    caller: ServicePolicy,
    id: string,
    action: TokenAction,
    provider: string | null,
    outcome: string,
    origin: AuditOrigin | undefined,
  ) {
    if (action !== 'connection.proxy') readsOf(provider ?? 'unknown', outcome).inc();
    deps.audit.record({
      actorType: 'service',
      actorId: caller.id,
      action,
      connectionId: id,
      providerKey: provider,
      outcome,
      origin,
    });
  }

  return {
    /**
     * A token valid for at least `minTtlSeconds` (refreshing first when needed), or with
     * `force` a freshly refreshed one.
     * `origin` (request id, client IP) goes into the audit trail.
     * @throws BrokerError not_found (unknown or outside the caller's policy), revoked (410),
     *   reauthorization_required (409), upstream_unavailable (503 with Retry-After, also
     *   while the audit trail cannot be written under `AUDIT_FAIL_CLOSED`).
     */
    read(
      caller: ServicePolicy,
      id: string,
      opts: {
        minTtlSeconds: number;
        force?: boolean;
        action?: TokenAction;
        origin?: AuditOrigin | undefined;
      },
    ): Eventually<TokenRead> {
      // A rejection like every other refusal (callers may not await a thrown error).
      if (deps.audit.refusing()) return Promise.reject(auditUnavailable());
      const action = opts.action ?? (opts.force ? 'connection.refresh' : 'token.read');
      const served = ({ read, provider }: { read: TokenRead; provider: string }) => {
        audit(caller, id, action, provider, read.refreshError ? 'stale' : 'success', opts.origin);
        return read;
      };
      const refused = (error: unknown): never => {
        const code = error instanceof BrokerError ? error.code : 'server_error';
        audit(caller, id, action, null, code, opts.origin);
        throw error;
      };
      const outcome = settled(() =>
        readOrRefresh(caller, id, {
          minTtlSeconds: opts.minTtlSeconds,
          force: opts.force ?? false,
          origin: opts.origin,
        }),
      );
      return outcome instanceof Promise ? outcome.then(served, refused) : served(outcome);
    },

    /**
     * A replacement for a token the provider refused (a proxied call's 401): the current
     * one if another caller has replaced it meanwhile, else the outcome of one refresh
     * through the same single-flight as the reads (concurrent callers, on any replica, cause
     * one grant). A token refreshed within the refresher's minimum interval is not
     * refreshed again: a provider that refuses fresh tokens must not burn its quota.
     * @returns the new token, or undefined when none could be had (the 401 stands).
     * @throws BrokerError as `read` does for a connection gone, revoked or needing consent.
     */
    async renew(
      caller: ServicePolicy,
      id: string,
      rejected: TokenView,
      origin: AuditOrigin | undefined,
    ): Promise<TokenView | undefined> {
      const snap = await visible(caller, id);
      ensureActive(snap);
      if (snap.tokens.accessToken !== rejected.accessToken) return view(snap);
      const outcome = await refresher.refresh(id, snap.providerKey, {
        // Without an expiry the interval rule cannot apply (expiresWithin is false): force.
        force: snap.tokens.expiresAt === null,
        scheduled: false,
        minTtlSeconds: ANY_TTL_SECONDS,
        seenVersion: snap.version,
        actor: { type: 'service', id: caller.id, origin },
      });
      snapshots.delete(id);
      if (outcome.kind === 'failed' || outcome.kind === 'inactive') return undefined;
      const after = await visible(caller, id);
      ensureActive(after);
      return after.tokens.accessToken === rejected.accessToken ? undefined : view(after);
    },

    /** The background refresher's batch of claimed connections (single-flight, see single-flight.ts). */
    refreshDue: refresher.refreshDue,

    /**
     * Refreshes a connection on behalf of the broker itself (the background refresher):
     * no policy, no errors for provider failures — the outcome says what happened. With
     * `scheduled`, a connection whose next_refresh_at has come (read under the lock) is
     * refreshed even when its token outlives `minTtlSeconds` (jitter, keep-alive).
     */
    async refresh(
      id: string,
      opts: { minTtlSeconds: number; force?: boolean; scheduled?: boolean; actor?: Actor },
    ): Promise<RefreshOutcome> {
      const snap = await store.snapshot(id);
      if (!snap || snap.status !== 'active' || !snap.tokens) return { kind: 'inactive' };
      return refresher.refresh(id, snap.providerKey, {
        force: opts.force ?? false,
        scheduled: opts.scheduled ?? false,
        minTtlSeconds: opts.minTtlSeconds,
        seenVersion: snap.version,
        actor: opts.actor ?? { type: 'system', id: null },
      });
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
