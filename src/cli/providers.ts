import type { Command } from 'commander';
import { parse } from '../validate.js';
import { presentProvider } from '../providers/present.js';
import { providerBody } from '../providers/schema.js';
import { withContext } from './context.js';
import { commaList, print, table } from './output.js';

interface ProviderOptions {
  template?: string;
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  revocationEndpoint?: string;
  clientId: string;
  clientSecret?: string;
  clientAuthMethod?: string;
  scopes?: string;
  displayName?: string;
}

/** `providers add|list|remove`: the same validation and domain functions as the admin API. */
export function registerProviderCommands(program: Command, json: () => boolean): void {
  const providers = program.command('providers').description('upstream OAuth providers');

  providers
    .command('add <key>')
    .description('register a provider from a template, an OIDC issuer, or explicit endpoints')
    .requiredOption('--client-id <id>', 'the client id registered at the provider')
    .option('--client-secret <secret>', 'the client secret (stored encrypted, never shown)')
    .option('--template <name>', 'a built-in template, e.g. github')
    .option('--issuer <url>', 'OIDC issuer to discover')
    .option('--authorization-endpoint <url>')
    .option('--token-endpoint <url>')
    .option('--revocation-endpoint <url>')
    .option('--client-auth-method <method>', 'client_secret_basic | client_secret_post | none')
    .option('--scopes <list>', 'comma-separated default scopes')
    .option('--display-name <name>')
    .action((key: string, o: ProviderOptions) =>
      withContext(async (c) => {
        const body = parse(providerBody, {
          key,
          client_id: o.clientId,
          client_secret: o.clientSecret,
          template: o.template,
          issuer: o.issuer,
          authorization_endpoint: o.authorizationEndpoint,
          token_endpoint: o.tokenEndpoint,
          revocation_endpoint: o.revocationEndpoint,
          client_auth_method: o.clientAuthMethod,
          scopes: commaList(o.scopes),
          display_name: o.displayName,
        });
        const row = await c.container.providerRegistry.create(body);
        const shown = presentProvider(row, c.config.publicUrl);
        print(json(), shown, `added ${shown.key}; redirect URI: ${shown.redirect_uri}`);
      }),
    );

  providers
    .command('list')
    .description('list providers')
    .action(() =>
      withContext(async (c) => {
        const rows = [];
        let cursor: string | undefined;
        do {
          const page = await c.container.providerRegistry.list(100, cursor);
          rows.push(...page.data);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        const data = rows.map((p) => presentProvider(p, c.config.publicUrl));
        const lines = data.map((p) => [p.key, p.display_name, p.template, p.client_id]);
        print(json(), { data }, table(['KEY', 'NAME', 'TEMPLATE', 'CLIENT ID'], lines));
      }),
    );

  providers
    .command('remove <key>')
    .description('delete a provider (refused while it has connections that are not revoked)')
    .action((key: string) =>
      withContext(async (c) => {
        await c.container.providerRegistry.remove(key);
        print(json(), { removed: key }, `removed ${key}`);
      }),
    );
}
