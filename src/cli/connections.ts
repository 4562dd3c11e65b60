import type { Command } from 'commander';
import { listAuditEvents } from '../audit/query.js';
import { presentAuditEvent } from '../audit/present.js';
import { presentAdminConnection, presentConnection } from '../connections/present.js';
import { revokeConnection, revokeConnections } from '../connections/revoke.js';
import type { Actor } from '../audit/actor.js';
import { bulkRevokeFilter, connectionFilters } from '../connections/schemas.js';
import { auditFilters } from '../audit/schemas.js';
import { verifyAuditChain } from '../audit/verify.js';
import { invalidRequest } from '../errors/index.js';
import { parse } from '../validate.js';
import { withContext } from './context.js';
import { print, table } from './output.js';

/** A field's value on one line: lists joined, objects (metadata) as JSON, null as `-`. */
const shown = (v: unknown): string => {
  if (Array.isArray(v)) return v.join(' ');
  if (v === null || v === undefined) return '-';
  return typeof v === 'string' ? v : JSON.stringify(v);
};

/** The CLI acts as the admin; the audit trail says it came from the command line. */
const CLI_ACTOR: Actor = { type: 'admin', id: 'cli' };

interface FilterOptions {
  provider?: string;
  subject?: string;
  status?: string;
  limit?: string;
  cursor?: string;
}

/**
 * `connections list|show|revoke` and `audit`: the same domain functions and shapes as the
 * admin API, printed as tables or JSON.
 */
export function registerConnectionCommands(program: Command, json: () => boolean): void {
  const connections = program.command('connections').description('connections of end users');

  connections
    .command('list')
    .description('list connections, newest first')
    .option('--provider <key>', 'only this provider')
    .option('--subject <subject>', 'only this subject')
    .option('--status <status>', 'active | reauthorization_required | revoked')
    .option('--limit <n>', 'at most this many (1-100)', '50')
    .option('--cursor <cursor>', 'next page')
    .action((o: FilterOptions) =>
      withContext(async (c) => {
        const page = await c.container.connections.list(parse(connectionFilters, o), 'admin');
        const data = page.data.map(presentConnection);
        const rows = data.map((cn) => [
          cn.id,
          cn.provider,
          cn.subject,
          cn.status,
          cn.expires_at,
          cn.last_refreshed_at,
        ]);
        const text = table(
          ['ID', 'PROVIDER', 'SUBJECT', 'STATUS', 'EXPIRES', 'LAST REFRESH'],
          rows,
        );
        print(
          json(),
          { data, next_cursor: page.nextCursor },
          page.nextCursor ? `${text}\nmore: --cursor ${page.nextCursor}` : text,
        );
      }),
    );

  connections
    .command('show <id>')
    .description('one connection')
    .action((id: string) =>
      withContext(async (c) => {
        const cn = presentAdminConnection(await c.container.connections.get(id, 'admin'));
        const text = Object.entries(cn)
          .map(([k, v]) => `${k.padEnd(20)} ${shown(v)}`)
          .join('\n');
        print(json(), cn, text);
      }),
    );

  connections
    .command('revoke [id]')
    .description('revoke one connection, or every one of --provider and/or --subject')
    .option('--provider <key>', 'revoke every connection of this provider')
    .option('--subject <subject>', 'revoke every connection of this subject')
    .action((id: string | undefined, o: { provider?: string; subject?: string }) =>
      withContext(async (c) => {
        const bulk = o.provider !== undefined || o.subject !== undefined;
        if (id === undefined && !bulk) {
          throw invalidRequest('give a connection id, or --provider and/or --subject');
        }
        if (id !== undefined && bulk) {
          throw invalidRequest('give either a connection id or --provider/--subject, not both');
        }
        if (id !== undefined) {
          const r = await revokeConnection(c.container, id, CLI_ACTOR);
          const text = r.alreadyRevoked
            ? `${id} was already revoked`
            : `revoked ${id} (upstream revocation: ${r.upstreamRevocation ?? 'nothing to revoke'})`;
          print(
            json(),
            {
              connection_id: id,
              already_revoked: r.alreadyRevoked,
              upstream_revocation: r.upstreamRevocation,
            },
            text,
          );
          return;
        }
        const r = await revokeConnections(c.container, parse(bulkRevokeFilter, o), CLI_ACTOR);
        const failed = r.upstream_failed
          ? ` (${r.upstream_failed} not confirmed by the provider; retried in the background)`
          : '';
        print(json(), r, `revoked ${r.revoked} connection(s)${failed}`);
      }),
    );

  const audit = program
    .command('audit')
    .description('the audit trail, newest first (`audit verify` checks its hash chain)')
    .option('--connection <id>', 'only this connection')
    .option('--action <action>', 'e.g. connection.revoke')
    .option('--actor <id>', 'admin, cli or a service id')
    .option('--since <iso>', 'from this instant')
    .option('--until <iso>', 'up to this instant')
    .option('--limit <n>', 'at most this many (1-100)', '50')
    .option('--cursor <cursor>', 'next page')
    .action(
      (o: {
        connection?: string;
        action?: string;
        actor?: string;
        since?: string;
        until?: string;
        limit: string;
        cursor?: string;
      }) =>
        withContext(async (c) => {
          const { connection, ...rest } = o;
          const filters = parse(auditFilters, { ...rest, connection_id: connection });
          const page = await listAuditEvents(c.db.prisma, filters);
          const data = page.data.map(presentAuditEvent);
          const text = table(
            ['AT', 'ACTOR', 'ACTION', 'CONNECTION', 'OUTCOME'],
            data.map((e) => [
              e.at,
              e.actor_id ? `${e.actor_type}:${e.actor_id}` : e.actor_type,
              e.action,
              e.connection_id,
              e.outcome,
            ]),
          );
          print(
            json(),
            { data, next_cursor: page.nextCursor },
            page.nextCursor ? `${text}\nmore: --cursor ${page.nextCursor}` : text,
          );
        }),
    );

  audit
    .command('verify')
    .description('check the hash chain: exit 4 when a row was changed, removed or reordered')
    .action(() =>
      withContext(async (c) => {
        const report = await verifyAuditChain(c.db.pool);
        const problems = report.problems.map(
          (p) => `  ${p.problem} at seq ${p.seq ?? '-'} (id ${p.id})`,
        );
        const head = report.head
          ? `head seq ${report.head.seq} hash ${report.head.hash}`
          : 'empty chain';
        const text = report.ok
          ? `audit chain intact: ${report.rows} rows, ${head}`
          : [
              `audit chain BROKEN: ${report.problemCount} problem(s) in ${report.rows} rows`,
              ...problems,
            ].join('\n');
        print(json(), report, text);
        if (!report.ok) process.exitCode = 4;
      }),
    );
}
