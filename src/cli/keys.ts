import type { Command } from 'commander';
import type pg from 'pg';
import { loadConfig } from '../config/index.js';
import { createPkcs11Key } from '../vault/pkcs11-kek.js';
import { ENCRYPTED_TABLES } from '../vault/encrypted-columns.js';
import { dekIdOf, type Keyring } from '../vault/keyring.js';
import { rotateEncryptionKeys, type RotationProgress } from '../vault/rotate.js';
import { withContext } from './context.js';
import { print, table } from './output.js';

const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/**
 * Draws rotation progress: a bar with rows done, rate and ETA on a terminal, a plain line
 * every few seconds otherwise, JSON lines with `--json` — always on stderr, so stdout keeps
 * only the final report.
 */
export function progressPrinter(
  out: NodeJS.WriteStream,
  mode: 'tty' | 'lines' | 'json',
  now: () => number = Date.now,
): { update(p: RotationProgress): void; end(): void } {
  let started = now();
  let lastTable = '';
  let lastLine = 0;
  let drawn = false;
  const clear = () => {
    if (drawn) out.write('\n');
    drawn = false;
  };
  return {
    update(p) {
      if (mode === 'json') {
        out.write(`${JSON.stringify({ event: 'progress', ...p })}\n`);
        return;
      }
      if (p.phase !== 'reencrypt') {
        clear();
        if (p.phase === 'wait') {
          const s = Math.ceil((p.untilMs - now()) / 1000);
          out.write(`waiting ${s}s: ${p.what}\n`);
        } else if (p.phase === 'rewrap') {
          if (p.total > 0 && p.done === p.total) out.write(`re-wrapped ${p.done} data key(s)\n`);
        } else {
          out.write('checking every ciphertext header\n');
        }
        return;
      }
      if (p.table !== lastTable) {
        clear();
        lastTable = p.table;
        started = now();
      }
      const seconds = Math.max(0.001, (now() - started) / 1000);
      const rate = p.done / seconds;
      const eta = rate > 0 ? Math.ceil((p.total - p.done) / rate) : undefined;
      const text = `${p.table} ${p.done}/${p.total} rows  ${rate.toFixed(0)} rows/s  ETA ${eta === undefined ? '?' : `${eta}s`}`;
      if (mode === 'tty') {
        const width = 24;
        const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : width;
        out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\u001b[K`);
        drawn = true;
      } else if (now() - lastLine >= 2000 || p.done === p.total) {
        lastLine = now();
        out.write(`${text}\n`);
      }
    },
    end: clear,
  };
}

/** What `keys status` reports. */
export interface KeyStatus {
  kek: { kind: string; id: string };
  data_keys: {
    id: string;
    state: 'active' | 'pending' | 'older' | 'full' | 'retired';
    kek: string | null;
    uses: string;
    limit: string;
    created_at: string;
  }[];
  /** Rows per table and key id. */
  rows: Record<string, Record<string, number>>;
  /** Rows from before data keys (re-encrypted by `keys rotate`). */
  pre_envelope_rows: number;
  /** DEKs wrapped by another KEK than the current one (re-wrapped by `keys rotate`). */
  data_keys_to_rewrap: number;
}

export async function keyStatus(pool: pg.Pool, keyring: Keyring): Promise<KeyStatus> {
  await keyring.refresh();
  const kek = keyring.kek as { kind: string; id: string };
  const current = dekIdOf(keyring.currentKid);
  const now = Date.now();
  const rows: KeyStatus['rows'] = {};
  let legacy = 0;
  for (const t of ENCRYPTED_TABLES) {
    const { rows: counts } = await pool.query<{ kid: string; n: string }>(
      `SELECT ${q(t.keyIdColumn)} AS kid, count(*)::text AS n FROM ${q(t.table)}
        WHERE ${q(t.keyIdColumn)} IS NOT NULL GROUP BY 1 ORDER BY 1`,
    );
    const name = t.keyIdColumn === 'key_id' ? t.table : `${t.table}.${t.keyIdColumn}`;
    for (const c of counts) {
      (rows[name] ??= {})[c.kid] = Number(c.n);
      if (dekIdOf(c.kid) === undefined) legacy += Number(c.n);
    }
  }
  const keys = keyring.dataKeys();
  return {
    kek,
    data_keys: keys.map((d) => ({
      id: `d${d.id}:2`,
      state: d.retiredAt
        ? 'retired'
        : d.id === current
          ? 'active'
          : d.usableAt.getTime() > now
            ? 'pending'
            : d.nonceNext >= d.nonceLimit
              ? 'full'
              : 'older',
      kek: d.wrapped ? `${d.kekKind} ${d.kekId}` : null,
      uses: d.nonceNext.toString(),
      limit: d.nonceLimit.toString(),
      created_at: d.createdAt.toISOString(),
    })),
    rows,
    pre_envelope_rows: legacy,
    data_keys_to_rewrap: keys.filter(
      (d) => d.wrapped && !d.retiredAt && (d.kekKind !== kek.kind || d.kekId !== kek.id),
    ).length,
  };
}

function statusText(s: KeyStatus): string {
  const keys = table(
    ['DATA KEY', 'STATE', 'WRAPPED BY', 'USES', 'LIMIT', 'CREATED'],
    s.data_keys.map((d) => [d.id, d.state, d.kek, d.uses, d.limit, d.created_at]),
  );
  const rows = Object.entries(s.rows).map(
    ([t, byKid]) =>
      `${t}: ${Object.entries(byKid)
        .map(([kid, n]) => `${kid} ${n}`)
        .join(', ')}`,
  );
  return [
    `KEK: ${s.kek.kind} "${s.kek.id}" wraps new data keys`,
    '',
    keys,
    '',
    'rows by key:',
    ...(rows.length ? rows.map((r) => `  ${r}`) : ['  (none)']),
    '',
    `to do: ${s.pre_envelope_rows} pre-envelope rows to re-encrypt, ${s.data_keys_to_rewrap} data keys to re-wrap` +
      (s.pre_envelope_rows + s.data_keys_to_rewrap > 0 ? ' (token-broker keys rotate)' : ''),
  ].join('\n');
}

/** `token-broker keys rotate | status | create-kek`. */
export function registerKeyCommands(program: Command, json: () => boolean): void {
  const keys = program.command('keys').description('encryption keys (envelope: KEK → data keys)');
  keys
    .command('rotate')
    .description(
      're-wrap data keys under the current KEK and re-encrypt pre-envelope rows; --new-dek also moves every row to a new data key and destroys the older ones',
    )
    .option('--new-dek', 'start a new data key and re-encrypt everything under it')
    .option('--batch-size <n>', 'rows per transaction', '200')
    .action((o: { newDek?: boolean; batchSize: string }) =>
      withContext(async (c) => {
        const batchSize = Number(o.batchSize);
        if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
          throw new Error('--batch-size must be a whole number from 1 to 10000');
        }
        const err = process.stderr;
        const bar = progressPrinter(err, json() ? 'json' : err.isTTY ? 'tty' : 'lines');
        const started = Date.now();
        const report = await rotateEncryptionKeys(c.db.pool, c.container.keyring, {
          batchSize,
          newDek: o.newDek === true,
          leaseMs: c.config.keyLeaseSeconds * 1000,
          onProgress: (p) => bar.update(p),
        });
        bar.end();
        const remaining = Object.values(report.remaining).reduce((a, b) => a + b, 0);
        const lines = Object.keys(report.rotated).map(
          (t) => `${t.padEnd(20)} rotated ${report.rotated[t]}  remaining ${report.remaining[t]}`,
        );
        const rotated = Object.values(report.rotated).reduce((a, b) => a + b, 0);
        lines.push(
          `re-wrapped ${report.rewrapped} data key(s); re-encrypted ${rotated} row(s) in ${((Date.now() - started) / 1000).toFixed(1)}s` +
            (report.target ? `; everything is under ${report.target}` : '') +
            (report.retired.length ? `; destroyed ${report.retired.join(', ')}` : ''),
        );
        print(json(), report, lines.join('\n'));
        if (remaining > 0) {
          process.stderr.write(`${remaining} rows were busy; run the command again to finish\n`);
          process.exitCode = 3;
        }
      }),
    );
  keys
    .command('create-kek')
    .description(
      'TOKEN_KEK=pkcs11: generate the AES-256 key TOKEN_KEK_PKCS11_KEY_LABEL inside the token (sensitive, never extractable)',
    )
    .action(async () => {
      // Only the HSM: the broker's keyring cannot open before its KEK exists.
      const { kek } = loadConfig(process.env);
      if (kek.kind !== 'pkcs11') throw new Error('keys create-kek needs TOKEN_KEK=pkcs11');
      await createPkcs11Key(kek);
      print(
        json(),
        { created: kek.keyLabel },
        `created AES-256 key "${kek.keyLabel}" in the PKCS#11 token (sensitive, never extractable)`,
      );
    });
  keys
    .command('status')
    .description('the KEK, every data key with its use count, and what still needs rotation')
    .action(() =>
      withContext(async (c) => {
        const status = await keyStatus(c.db.pool, c.container.keyring);
        print(json(), status, statusText(status));
      }),
    );
}
