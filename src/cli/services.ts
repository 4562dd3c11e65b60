import type { Command } from 'commander';
import { presentService } from '../services/present.js';
import { createServiceBody } from '../services/schema.js';
import { parse } from '../validate.js';
import { withContext } from './context.js';
import { commaList, print, table } from './output.js';

/** `services create|list|delete`: the same validation and domain functions as the admin API. */
export function registerServiceCommands(program: Command, json: () => boolean): void {
  const services = program.command('services').description('internal callers of the broker');

  services
    .command('create <name>')
    .description('create a service; its API key and client secret are printed once')
    .option('--providers <keys>', 'comma-separated providers it may use')
    .option('--return-to <origins>', 'comma-separated origins it may send users back to')
    .action((name: string, o: { providers?: string; returnTo?: string }) =>
      withContext(async (c) => {
        const body = parse(createServiceBody, {
          name,
          allowed_providers: commaList(o.providers),
          allowed_return_to: commaList(o.returnTo),
        });
        const created = await c.container.services.create({
          name: body.name,
          allowedProviders: body.allowed_providers,
          allowedReturnTo: body.allowed_return_to,
          jwks: body.jwks,
        });
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
        print(json(), { deleted: id }, `deleted ${id}`);
      }),
    );
}
