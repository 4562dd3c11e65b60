import type pg from 'pg';
import type { Actor } from '../audit/actor.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import type { Logger } from '../observability/logger.js';
import { refreshDuration, refreshes, upstreamErrors } from '../observability/metrics.js';
import { withSpan } from '../observability/spans.js';
import { forConnection } from '../providers/metadata.js';
import type { ProviderOAuth } from '../providers/oauth-client.js';
import type { ProviderRecord, TokenResult } from '../providers/types.js';
import type { ProviderStore } from '../providers/store.js';
import { HELD_BACK, markActive } from '../providers/health.js';
import {
  asRefreshFailure,
  classifyUpstreamError,
  PermanentUpstreamError,
  ProviderFaultError,
  type UpstreamError,
} from '../providers/upstream-errors.js';
import type { PlainTokenSet } from '../vault/token-set.js';
import {
  eventData,
  lockConnection,
  type LockedConnection,
  type TokenStore,
} from '../connections/token-sets.js';
import { newId } from '../ids.js';
import { oweIfRevoked } from '../connections/owed-revocations.js';
import { owedTokens } from '../connections/upstream-revocation.js';
import type { Keyring } from '../vault/keyring.js';
import { eventPayload } from '../webhooks/outbox.js';
import {
  readDue,
  tryLock,
  unlock,
  writeRefreshedBatch,
  type DueRow,
  type RefreshedWrite,
} from './batch-sql.js';
import type { Claim } from './claims.js';
import { createWriteQueue } from './write-queue.js';

/**
 * A refresh transaction holds the connection's lock across the provider call (≤ 10 s)
 * and may first wait for another replica's; Prisma's 5 s default would cut it short.
 */
const TX_OPTIONS = { maxWait: 10_000, timeout: 45_000 };
/** Attempts to store a rotated token set after its first commit failed. */
const WRITE_RETRIES = 3;
/**
 * After a transient failure this replica does not ask the provider again about the same
 * connection for a few seconds (its Retry-After, within bounds): an outage must not turn
 * every read into a provider call and a `connection.refresh_failed` event.
 */
const COOLDOWN_SECONDS = { default: 2, max: 30 };

/** `connections.auth_type` of provider-level machine tokens, renewed by re-running the grant. */
const CLIENT_CREDENTIALS = 'client_credentials';

export interface RefreshRequest {
  /** Refresh even when the token is still valid for `minTtlSeconds`. */
  force: boolean;
  /** The refresher's sweep: refresh once next_refresh_at has come, whatever the token's lifetime. */
  scheduled: boolean;
  minTtlSeconds: number;
  /** token_sets.version the caller saw: a different one after locking means someone else refreshed. */
  seenVersion: number | null;
  actor: Actor;
}

/** What one refresh attempt came to. The token itself is read afresh by the caller. */
export type RefreshOutcome =
  | { kind: 'refreshed' }
  /** No refresh was needed any more (another caller or replica refreshed first). */
  | { kind: 'current' }
  /** Missing, revoked or needing reauthorization: nothing to refresh. */
  | { kind: 'inactive' }
  | { kind: 'failed'; error: UpstreamError };

/** How the sweep has a batch of claimed connections refreshed ({@link createRefresher}'s `refreshDue`). */
export interface DueBatch {
  /** The sweep's lease owner. */
  owner: string;
  minTtlSeconds: number;
  actor: Actor;
  /** Runs one provider call within the sweep's concurrency limits. */
  limit<T>(providerKey: string, task: () => Promise<T>): Promise<T>;
  /** Shutdown: a connection whose provider call has not started is left unrefreshed. */
  signal?: AbortSignal;
}

/** A still-valid token refreshed this recently is not refreshed again unless forced. */
const MIN_REFRESH_INTERVAL_MS = 10_000;

const refreshedWithin = (lastRefreshedAt: Date | null, now: Date) =>
  lastRefreshedAt !== null && now.getTime() - lastRefreshedAt.getTime() < MIN_REFRESH_INTERVAL_MS;

/** Whether a token expiring at `expiresAt` is valid for fewer than `minTtlSeconds` more. */
export const expiresWithin = (expiresAt: Date | null, minTtlSeconds: number, now: Date) =>
  expiresAt !== null && expiresAt.getTime() - now.getTime() < minTtlSeconds * 1000;

/**
 * Whether a connection read under its refresh lock is to be refreshed now: forced, due
 * (the sweep), or its token expiring within `minTtlSeconds` (and not refreshed moments ago)
 * — and renewable, unless the token has expired anyway.
 */
function needsRefresh(
  row: Pick<LockedConnection, 'nextRefreshAt' | 'lastRefreshedAt' | 'authType'>,
  current: PlainTokenSet,
  req: Pick<RefreshRequest, 'force' | 'scheduled' | 'minTtlSeconds'>,
  now: Date,
): boolean {
  const valid = current.expiresAt === null || current.expiresAt > now;
  const due = req.scheduled && row.nextRefreshAt !== null && row.nextRefreshAt <= now;
  if (!req.force && !due) {
    if (!expiresWithin(current.expiresAt, req.minTtlSeconds, now)) return false;
    // A min_ttl longer than the provider's token lifetime must not refresh on every read.
    if (valid && refreshedWithin(row.lastRefreshedAt, now)) return false;
  }
  const renewable = current.refreshToken !== undefined || row.authType === CLIENT_CREDENTIALS;
  return renewable || !valid;
}

interface Pending {
  row: LockedConnection;
  previous: PlainTokenSet;
  result: TokenResult;
  requestedAt: Date;
}

/**
 * The one refresh mechanism (read path, forced refresh, background refresher): at most
 * one refresh per connection at a time in this process (a map of in-flight promises)
 * and across replicas (a Postgres advisory lock taken in a transaction, then the token
 * set re-read: if another replica refreshed meanwhile, its result stands).
 */
export function createRefresher(deps: {
  prisma: PrismaClient;
  /** The main pool: the sweep's batch locks and writes (short statements, never a provider wait). */
  pool: pg.Pool;
  keyring: Keyring;
  store: TokenStore;
  providers: ProviderStore;
  oauth: ProviderOAuth;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
}) {
  const inFlight = new Map<string, Promise<RefreshOutcome>>();
  const cooling = new Map<string, { until: number; outcome: RefreshOutcome }>();

  function coolDown(id: string, outcome: RefreshOutcome): void {
    // A provider fault is held back by the provider's probe time, which a PUT clears at once.
    if (
      outcome.kind !== 'failed' ||
      outcome.error.permanent ||
      outcome.error instanceof ProviderFaultError
    ) {
      cooling.delete(id);
      return;
    }
    const seconds = Math.min(
      outcome.error.retryAfterSeconds ?? COOLDOWN_SECONDS.default,
      COOLDOWN_SECONDS.max,
    );
    const now = Date.now();
    if (cooling.size > 10_000) {
      for (const [key, entry] of cooling) if (entry.until <= now) cooling.delete(key);
    }
    cooling.set(id, { until: now + seconds * 1000, outcome });
  }

  /**
   * The one place a connection's tokens are renewed: a refresh_token grant, or for a
   * client_credentials connection (no refresh token) the client_credentials grant again.
   * Connection-level template placeholders (a shop, a subdomain) pick the endpoints.
   */
  async function callProvider(
    row: Pick<LockedConnection, 'providerKey' | 'authType' | 'scopes' | 'connectionConfig'>,
    record: ProviderRecord | undefined,
    current: PlainTokenSet,
  ): Promise<TokenResult> {
    if (!record) throw new PermanentUpstreamError('provider_removed');
    // A provider that refuses the broker's client is probed once per interval, not per refresh.
    if (record.status === 'misconfigured' && record.probeAt && record.probeAt > deps.clock.now()) {
      throw new ProviderFaultError(HELD_BACK, undefined);
    }
    const provider = forConnection(record, row.connectionConfig as Record<string, string>);
    const stop = refreshDuration.startTimer({ provider: row.providerKey });
    try {
      if (row.authType === CLIENT_CREDENTIALS) {
        return await deps.oauth.clientCredentials(provider, row.scopes);
      }
      if (!current.refreshToken) throw new PermanentUpstreamError('no_refresh_token');
      return await deps.oauth.refresh(provider, current.refreshToken);
    } catch (error) {
      throw classifyUpstreamError(error);
    } finally {
      stop();
    }
  }

  /** Stores a rotated token set whose first commit failed, from memory: the provider is not asked again. */
  async function persistFromMemory(p: Pending, cause: unknown): Promise<RefreshOutcome> {
    for (let attempt = 1; attempt <= WRITE_RETRIES; attempt++) {
      await sleep(100 * 2 ** attempt);
      try {
        return await deps.prisma.$transaction(async (tx) => {
          const row = await lockConnection(tx, p.row.id);
          if (!row || row.tokenSet?.version !== p.row.tokenSet?.version) return { kind: 'current' };
          await deps.store.writeRefreshed(
            tx,
            row,
            p.previous,
            p.result,
            p.requestedAt,
            deps.clock.now(),
          );
          return { kind: 'refreshed' };
        }, TX_OPTIONS);
      } catch (error) {
        deps.logger.warn(
          { connection_id: p.row.id, attempt, err: (error as Error).message },
          'storing refreshed tokens failed; retrying',
        );
      }
    }
    throw cause;
  }

  async function run(
    id: string,
    providerKey: string,
    req: RefreshRequest,
  ): Promise<RefreshOutcome> {
    let pending: Pending | undefined;
    // Read before the transaction: a pool connection taken while one is held for the
    // transaction deadlocks once every connection is held by a refresh.
    const provider = await deps.providers.get(providerKey);
    try {
      const outcome = await deps.prisma.$transaction(async (tx): Promise<RefreshOutcome> => {
        const row = await lockConnection(tx, id);
        if (!row?.tokenSet || row.status !== 'active') return { kind: 'inactive' };
        const now = deps.clock.now();
        const current = deps.store.open(row) as PlainTokenSet;
        if (row.tokenSet.version !== req.seenVersion) return { kind: 'current' };
        if (!needsRefresh(row, current, req, now)) return { kind: 'current' };
        const requestedAt = now;
        let result: TokenResult;
        try {
          result = await callProvider(row, provider, current);
        } catch (e) {
          const error = asRefreshFailure(classifyUpstreamError(e));
          await deps.store.writeFailure(tx, row, error, deps.clock.now());
          return { kind: 'failed', error };
        }
        pending = { row, previous: current, result, requestedAt };
        await deps.store.writeRefreshed(tx, row, current, result, requestedAt, deps.clock.now());
        if (provider?.status === 'misconfigured') {
          await markActive(tx, providerKey, deps.clock.now());
        }
        return { kind: 'refreshed' };
      }, TX_OPTIONS);
      const healthChanged =
        outcome.kind === 'failed'
          ? outcome.error instanceof ProviderFaultError
          : outcome.kind === 'refreshed' && provider?.status === 'misconfigured';
      if (healthChanged) deps.providers.invalidate(providerKey);
      return outcome;
    } catch (error) {
      if (!pending) throw error;
      return persistFromMemory(pending, error);
    }
  }

  const writes = createWriteQueue(
    (items: RefreshedWrite[]) => writeRefreshedBatch(deps.pool, items, deps.clock.now()),
    (w) => w.id,
    (attempt, error) =>
      deps.logger.warn(
        { attempt, err: (error as Error).message },
        'storing refreshed tokens failed; retrying',
      ),
  );

  /** Records a failed refresh of a row read by `readDue`, unless it changed meanwhile. */
  async function storeFailure(row: DueRow, error: UpstreamError): Promise<void> {
    await deps.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT 1 FROM connections WHERE id = ${row.id} FOR UPDATE`;
      const locked = await tx.connection.findUnique({
        where: { id: row.id },
        include: { tokenSet: true },
      });
      if (locked?.status !== 'active' || locked.tokenSet?.version !== row.tokenSet?.version) return;
      await deps.store.writeFailure(tx, locked, error, deps.clock.now());
    }, TX_OPTIONS);
  }

  /** One claimed connection of a batch, its refresh lock held by this replica. */
  async function refreshLocked(
    row: DueRow,
    provider: ProviderRecord | undefined,
    req: RefreshRequest,
    batch: DueBatch,
  ): Promise<RefreshOutcome> {
    if (!row.tokenSet || row.status !== 'active') return { kind: 'inactive' };
    const current = deps.store.open(row) as PlainTokenSet;
    if (!needsRefresh(row, current, req, deps.clock.now())) return { kind: 'current' };
    const requestedAt = deps.clock.now();
    let result: TokenResult | undefined;
    try {
      result = await batch.limit(row.providerKey, () =>
        batch.signal?.aborted ? Promise.resolve(undefined) : callProvider(row, provider, current),
      );
    } catch (e) {
      const error = asRefreshFailure(classifyUpstreamError(e));
      await storeFailure(row, error);
      if (error instanceof ProviderFaultError) deps.providers.invalidate(row.providerKey);
      return { kind: 'failed', error };
    }
    if (!result) return { kind: 'current' };
    const now = deps.clock.now();
    const values = deps.store.prepareRefreshed(row, current, result, requestedAt, now);
    const eventId = newId('msg');
    const written = await writes.write({
      id: row.id,
      owner: batch.owner,
      version: row.tokenSet.version,
      ...values,
      eventId,
      eventPayload: eventPayload(eventId, 'connection.refreshed', eventData(row, 'active'), now),
    });
    if (written) return { kind: 'refreshed' };
    // Revoked while the provider was issuing these (the sweep holds no row lock across the
    // call): they are live upstream and must be revoked there too.
    if (await oweIfRevoked(deps, row.id, owedTokens(result))) return { kind: 'inactive' };
    return { kind: 'current' };
  }

  /**
   * The sweep's refresh of many claimed connections at once: one statement takes the
   * refresh locks nobody holds (a connection being refreshed elsewhere is skipped), one
   * reads them all; provider calls run within the sweep's limits, and their results are
   * stored together as they come ({@link createWriteQueue}). Reads of the same connections
   * in this process join the batch's refreshes; refreshes elsewhere wait on the locks.
   * A connection the database failed has no outcome (its claim lapses and it is retried).
   * @throws when the batch's locks or rows cannot be had (the same for every claim).
   */
  async function refreshDue(
    claims: Claim[],
    batch: DueBatch,
  ): Promise<Map<string, RefreshOutcome>> {
    const outcomes = new Map<string, RefreshOutcome>();
    const candidates: string[] = [];
    for (const { id } of claims) {
      const cooled = cooling.get(id);
      if (inFlight.has(id)) outcomes.set(id, { kind: 'current' });
      else if (cooled && cooled.until > Date.now()) outcomes.set(id, cooled.outcome);
      else candidates.push(id);
    }
    if (candidates.length === 0) return outcomes;
    const client = await deps.pool.connect();
    let broken: Error | undefined;
    try {
      const locked = await tryLock(client, candidates);
      for (const id of candidates) outcomes.set(id, { kind: 'current' });
      try {
        const rows = await readDue(client, locked);
        const providers = new Map<string, Promise<ProviderRecord | undefined>>();
        const req: RefreshRequest = {
          force: false,
          scheduled: true,
          minTtlSeconds: batch.minTtlSeconds,
          seenVersion: null,
          actor: batch.actor,
        };
        await Promise.all(
          rows.map(async (row) => {
            let provider = providers.get(row.providerKey);
            if (!provider) {
              provider = deps.providers.get(row.providerKey);
              providers.set(row.providerKey, provider);
            }
            const flight = provider
              .then((record) => refreshLocked(row, record, req, batch))
              .then((outcome) => {
                record(row.id, row.providerKey, req, outcome);
                coolDown(row.id, outcome);
                return outcome;
              })
              .finally(() => inFlight.delete(row.id));
            inFlight.set(row.id, flight);
            try {
              outcomes.set(row.id, await flight);
            } catch (error) {
              // The database failed this one: no outcome, its claim lapses and it is retried.
              outcomes.delete(row.id);
              deps.logger.error(
                { connection_id: row.id, class: (error as Error).name },
                'refresher could not refresh a connection',
              );
            }
          }),
        );
        // A refresh got through: a provider marked misconfigured is back.
        for (const [key, record] of providers) {
          const refreshed = rows.some(
            (r) => r.providerKey === key && outcomes.get(r.id)?.kind === 'refreshed',
          );
          if (!refreshed || (await record)?.status !== 'misconfigured') continue;
          await deps.prisma.$transaction((tx) => markActive(tx, key, deps.clock.now()));
          deps.providers.invalidate(key);
        }
      } finally {
        await unlock(client, locked);
      }
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      // A connection that failed mid-batch is dropped: its session locks go with it.
      client.release(broken);
    }
    return outcomes;
  }

  function record(id: string, provider: string, req: RefreshRequest, outcome: RefreshOutcome) {
    if (outcome.kind === 'refreshed' || outcome.kind === 'failed') {
      const result =
        outcome.kind === 'refreshed'
          ? 'success'
          : outcome.error.permanent
            ? 'permanent'
            : 'transient';
      refreshes.inc({ provider, outcome: result });
      if (outcome.kind === 'failed') {
        upstreamErrors.inc({ provider, class: outcome.error.errorClass });
        deps.logger.warn(
          { connection_id: id, provider, class: outcome.error.errorClass },
          'refresh failed',
        );
      }
      deps.audit.record({
        actorType: req.actor.type,
        actorId: req.actor.id,
        action: 'connection.refresh',
        connectionId: id,
        providerKey: provider,
        outcome: outcome.kind === 'refreshed' ? 'success' : outcome.error.errorClass,
        detail: { forced: req.force },
        origin: req.actor.origin,
      });
    }
  }

  return {
    refreshDue,

    /**
     * Refreshes a connection if still needed once its lock is held; joins a refresh of the
     * same connection already running in this process, and answers a recent transient
     * failure again during its cool-down instead of asking the provider.
     * @throws only on database failures; provider failures come back as `failed`.
     */
    refresh(id: string, provider: string, req: RefreshRequest): Promise<RefreshOutcome> {
      const running = inFlight.get(id);
      if (running) return running;
      const cooled = cooling.get(id);
      if (cooled && cooled.until > Date.now()) return Promise.resolve(cooled.outcome);
      const flight = withSpan(
        'token.refresh',
        { 'token_broker.provider': provider, 'token_broker.connection_id': id },
        () => run(id, provider, req),
      )
        .then((outcome) => {
          record(id, provider, req, outcome);
          coolDown(id, outcome);
          return outcome;
        })
        .finally(() => inFlight.delete(id));
      inFlight.set(id, flight);
      return flight;
    },
  };
}

export type Refresher = ReturnType<typeof createRefresher>;
