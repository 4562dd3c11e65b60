import type { ResolvedConfig } from './config/index.js';
import type { AdminTokenSource } from './config/resolve.js';

/**
 * The "next steps" block printed at start-up outside production: the console, the admin
 * token as an `export` line (on the start that generated it only; later starts say where
 * it is kept), the redirect URI to register at a provider, and what to do next. Plain
 * text for a person; the log itself stays JSON.
 *
 * @example
 * process.stderr.write(firstRunGuide(config, broker.adminToken));
 */
export function firstRunGuide(
  config: Pick<ResolvedConfig, 'publicUrl' | 'adminApiToken'>,
  adminToken: AdminTokenSource,
): string {
  const base = config.publicUrl.replace(/\/$/, '');
  const lines = [
    '',
    `Token Broker is running at ${base}`,
    '',
    `  Console       ${base}/console  (sign in with the admin API token)`,
    ...tokenLines(config.adminApiToken, adminToken),
    `  Redirect URI  ${base}/oauth/callback  (register it at each provider)`,
    '',
    'Next: register a provider and a service, then connect an account:',
    `  README.md, "First five minutes", or  npx token-broker providers add --help`,
    '',
  ];
  return lines.join('\n') + '\n';
}

function tokenLines(token: string, source: AdminTokenSource): string[] {
  if (source.kind === 'environment')
    return ['  Admin token   from ADMIN_API_TOKEN in the environment'];
  const { path } = source;
  if (source.generated) {
    return [
      '  Admin token   generated now and shown only this once; set it in your shell:',
      '',
      `    export ADMIN_API_TOKEN=${token}`,
      '',
      `                kept in ${path} (mode 0600) with the encryption key`,
    ];
  }
  return [
    `  Admin token   kept in ${path} (mode 0600); set it in your shell:`,
    `                export ADMIN_API_TOKEN=$(jq -r .admin_api_token ${path})`,
  ];
}
