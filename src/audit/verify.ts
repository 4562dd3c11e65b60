import type pg from 'pg';
import { chainHash, GENESIS } from './chain.js';

/** Rows read per query while verifying. */
const PAGE = 5_000;
/** Problems listed in a report; the count goes on past it. */
const MAX_LISTED = 100;

export type ChainProblem =
  /** The row's columns no longer hash to its stored hash: it was changed (or its seq moved). */
  | 'altered'
  /** Its seq does not follow the previous row's: rows between were removed. */
  | 'gap'
  /** It does not hold the previous row's hash: a row before it was removed, replaced or moved. */
  | 'broken_link'
  /** The chain does not start at seq 1: its first rows were removed. */
  | 'missing_start'
  /** A row without a place in the chain, written after the chain began. */
  | 'unchained';

export interface ChainReport {
  ok: boolean;
  /** Chained rows checked. */
  rows: number;
  problems: { id: string; seq: number | null; problem: ChainProblem }[];
  problemCount: number;
  /**
   * The last row's seq and hash: record them elsewhere to detect later removal of the
   * newest rows, which the chain alone cannot show.
   */
  head: { seq: number; hash: string } | null;
}

interface Row {
  id: string;
  seq: string;
  prev_hash: Buffer;
  hash: Buffer;
  at: Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  connection_id: string | null;
  provider_key: string | null;
  outcome: string;
  detail: unknown;
  request_id: string | null;
  client_ip: string | null;
}

/**
 * Walks the audit chain in `seq` order and reports every row that was changed, removed,
 * reordered or slipped in without a place in the chain (`token-broker audit verify`).
 *
 * @example
 * const report = await verifyAuditChain(pool);
 * if (!report.ok) console.error(report.problems);
 */
export async function verifyAuditChain(pool: pg.Pool): Promise<ChainReport> {
  const report: ChainReport = { ok: true, rows: 0, problems: [], problemCount: 0, head: null };
  const flag = (id: string, seq: number | null, problem: ChainProblem) => {
    report.ok = false;
    report.problemCount++;
    if (report.problems.length < MAX_LISTED) report.problems.push({ id, seq, problem });
  };
  let previous: { seq: number; hash: Buffer } | undefined;
  let firstId: string | undefined;
  for (;;) {
    const { rows } = await pool.query<Row>(
      `SELECT id::text, seq::text, prev_hash, hash, at, actor_type, actor_id, action, connection_id,
              provider_key, outcome, detail, request_id, client_ip
         FROM audit_events WHERE seq > $1 ORDER BY audit_events.seq LIMIT ${PAGE}`,
      [previous?.seq ?? 0],
    );
    for (const r of rows) {
      const seq = Number(r.seq);
      firstId ??= r.id;
      const expected = chainHash(r.prev_hash, {
        seq,
        at: r.at,
        actorType: r.actor_type,
        actorId: r.actor_id,
        action: r.action,
        connectionId: r.connection_id,
        providerKey: r.provider_key,
        outcome: r.outcome,
        detail: r.detail,
        requestId: r.request_id,
        clientIp: r.client_ip,
      });
      if (!expected.equals(r.hash)) flag(r.id, seq, 'altered');
      if (!previous) {
        if (seq !== 1 || !r.prev_hash.equals(GENESIS)) flag(r.id, seq, 'missing_start');
      } else if (seq !== previous.seq + 1) flag(r.id, seq, 'gap');
      else if (!r.prev_hash.equals(previous.hash)) flag(r.id, seq, 'broken_link');
      previous = { seq, hash: r.hash };
      report.rows++;
    }
    if (rows.length < PAGE) break;
  }
  if (firstId !== undefined) {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id::text FROM audit_events WHERE seq IS NULL AND id > $1 ORDER BY id LIMIT ${MAX_LISTED}`,
      [firstId],
    );
    for (const r of rows) flag(r.id, null, 'unchained');
  }
  report.head = previous ? { seq: previous.seq, hash: previous.hash.toString('hex') } : null;
  return report;
}
