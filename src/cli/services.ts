import type { Command } from 'commander';
import { adminAction } from '../audit/admin-action.js';
import { presentApiKey, presentRotatedClientSecret, presentService } from '../services/present.js';
import {
  createKeyBody,
  createServiceBody,
  rotateClientSecretBody,
  toNewService,
  toServicePatch,
  updateServiceBody,
} from '../services/schema.js';
import { parse } from '../validate.js';
import { withContext } from './context.js';
import { commaList, print, table } from './output.js';

/** Who the audit trail names for a CLI change. */
const CLI_ACTOR = { type: 'admin', id: 'cli' } as const;

interface PolicyOptions {
  displayName?: string;
  connectionAccess?: string;
  providers?: string;
  returnTo?: string;
}

/** The policy options given on the command line, in the admin API's field names. */
const policyFields = (o: PolicyOptions) => ({
  ...(o.displayName === undefined ? {} : { display_name: o.displayName }),
  ...(o.connectionAccess === undefined ? {} : { connection_access: o.connectionAccess }),
  ...(o.providers === undefined ? {} : { allowed_providers: commaList(o.providers) }),
  ...(o.returnTo === undefined ? {} : { allowed_return_to: commaList(o.returnTo) }),
});

/**
 * `services create|list|update|delete` and `services keys create|list|revoke`: the same
 * validation and domain functions as the admin API.
 */
export function registerServiceCommands(program: Command, json: () => boolean): void {
  const services = program.command('services').description('internal callers of the broker');

  services
    .command('create <name>')
    .description('create a service; its API key and client secret are printed once')
    .option('--display-name <text>', 'what end users read on the connect page')
    .option('--connection-access <own|provider>', 'which connections it sees (default own)')
    .option('--providers <keys>', 'comma-separated providers it may use')
    .option('--return-to <origins>', 'comma-separated origins it may send users back to')
    .action((name: string, o: PolicyOptions) =>
      withContext(async (c) => {
        const body = parse(createServiceBody, { name, ...policyFields(o) });
        const created = await c.container.services.create(toNewService(body));
        c.container.audit.record(
          adminAction(CLI_ACTOR, 'service.create', { service_id: created.service.id }),
        );
        const shown = {
          ...presentService(created.service),
          api_key: created.apiKey,
          client_secret: created.clientSecret,
        };
        print(
          json(),
          shown,
          `created ${shown.id}\napi_key:       ${shown.api_key}\nclient_secret: ${shown.client_secret}\n(shown once)`,
        );
      }),
    );

  services
    .command('list')
    .description('list services')
    .action(() =>
      withContext(async (c) => {
        const data = (await c.container.services.list()).map(presentService);
        const rows = data.map((s) => [s.id, s.name, s.allowed_providers.join(',')]);
        print(json(), { data }, table(['ID', 'NAME', 'PROVIDERS'], rows));
      }),
    );

  services
    .command('delete <id>')
    .description('delete a service; its credentials stop working at once')
    .action((id: string) =>
      withContext(async (c) => {
        await c.container.services.remove(id);
        c.container.audit.record(adminAction(CLI_ACTOR, 'service.delete', { service_id: id }));
        print(json(), { deleted: id }, `deleted ${id}`);
      }),
    );

  services
    .command('update <id>')
    .description("change a service's name or policy; its credentials stay")
    .option('--name <name>', 'new name')
    .option('--display-name <text>', 'what end users read on the connect page')
    .option('--connection-access <own|provider>', 'which connections it sees')
    .option('--providers <keys>', 'comma-separated providers it may use (replaces the list)')
    .option('--return-to <origins>', 'comma-separated return origins (replaces the list)')
    .action((id: string, o: PolicyOptions & { name?: string }) =>
      withContext(async (c) => {
        const body = parse(updateServiceBody, {
          ...(o.name === undefined ? {} : { name: o.name }),
          ...policyFields(o),
        });
        const updated = await c.container.services.update(id, toServicePatch(body));
        const fields = Object.keys(body).sort().join(',');
        c.container.audit.record(
          adminAction(CLI_ACTOR, 'service.update', { service_id: id, fields }),
        );
        print(json(), presentService(updated), `updated ${id} (${fields})`);
      }),
    );

  services
    .command('client-secret <service-id>')
    .description('rotate the client secret (printed once); the old one works 24 h more')
    .option('--previous-expires-at <instant>', 'ISO 8601 instant when the old secret stops')
    .action((serviceId: string, o: { previousExpiresAt?: string }) =>
      withContext(async (c) => {
        const body = parse(
          rotateClientSecretBody,
          o.previousExpiresAt ? { previous_expires_at: o.previousExpiresAt } : {},
        );
        const rotated = await c.container.services.clientSecrets.rotate(serviceId, {
          previousExpiresAt:
            body.previous_expires_at === undefined ? undefined : new Date(body.previous_expires_at),
        });
        const shown = presentRotatedClientSecret(rotated);
        c.container.audit.record(
          adminAction(CLI_ACTOR, 'service.client_secret_rotate', {
            service_id: serviceId,
            previous_expires_at: shown.previous_expires_at,
          }),
        );
        print(
          json(),
          shown,
          `client_secret: ${shown.client_secret}\n(shown once; the old one works until ${shown.previous_expires_at ?? 'now: it stopped'})`,
        );
      }),
    );

  const keys = services.command('keys').description("a service's API keys (rotation)");

  keys
    .command('create <service-id>')
    .description('issue another API key (printed once); the others keep working')
    .option('--expires-at <instant>', 'ISO 8601 instant after which the key is refused')
    .action((serviceId: string, o: { expiresAt?: string }) =>
      withContext(async (c) => {
        const body = parse(createKeyBody, o.expiresAt ? { expires_at: o.expiresAt } : {});
        const expiresAt = body.expires_at === undefined ? undefined : new Date(body.expires_at);
        const { row, apiKey } = await c.container.services.keys.issue(serviceId, { expiresAt });
        c.container.audit.record(
          adminAction(CLI_ACTOR, 'service.key_create', { service_id: serviceId, key_id: row.id }),
        );
        const shown = { ...presentApiKey(row), api_key: apiKey };
        print(json(), shown, `key ${row.id}\napi_key: ${apiKey}\n(shown once)`);
      }),
    );

  keys
    .command('list <service-id>')
    .description("list a service's API keys (never the keys themselves)")
    .action((serviceId: string) =>
      withContext(async (c) => {
        const data = (await c.container.services.keys.list(serviceId)).map(presentApiKey);
        const rows = data.map((k) => [
          k.id,
          k.created_at,
          k.expires_at ?? '-',
          k.last_used_at ?? '-',
        ]);
        print(json(), { data }, table(['ID', 'CREATED', 'EXPIRES', 'LAST USED'], rows));
      }),
    );

  keys
    .command('revoke <service-id> <key-id>')
    .description('revoke one API key; it is refused at once')
    .action((serviceId: string, keyId: string) =>
      withContext(async (c) => {
        await c.container.services.keys.revoke(serviceId, keyId);
        c.container.audit.record(
          adminAction(CLI_ACTOR, 'service.key_revoke', { service_id: serviceId, key_id: keyId }),
        );
        print(json(), { revoked: keyId }, `revoked key ${keyId}`);
      }),
    );
}
