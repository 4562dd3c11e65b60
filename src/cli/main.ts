#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { migrate } from '../db/migrator.js';
import { Keyring } from '../vault/keyring.js';
import { rotateEncryptionKeys } from '../vault/rotate.js';
import { registerProviderCommands } from './providers.js';
import { registerServiceCommands } from './services.js';
import { registerConnectionCommands } from './connections.js';
import { withContext, withDatabase } from './context.js';
import { print } from './output.js';

export const program = new Command('token-broker')
  .description('Token Broker administration (talks to the database directly)')
  .option('--json', 'print JSON for scripts')
  .exitOverride();

const json = () => program.opts<{ json?: boolean }>().json === true;

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(() =>
    withDatabase(async (db) => {
      const result = await migrate(db.pool);
      print(
        json(),
        result,
        result.applied.length ? `applied: ${result.applied.join(', ')}` : 'database is current',
      );
    }),
  );

program
  .command('keys')
  .description('encryption keys')
  .command('rotate')
  .description('re-encrypt every secret under the first key of TOKEN_ENCRYPTION_KEYS')
  .action(() =>
    withContext(async (c) => {
      const report = await rotateEncryptionKeys(c.db.pool, new Keyring(c.config.encryptionKeys));
      const remaining = Object.values(report.remaining).reduce((a, b) => a + b, 0);
      const lines = Object.keys(report.rotated).map(
        (t) => `${t.padEnd(20)} rotated ${report.rotated[t]}  remaining ${report.remaining[t]}`,
      );
      print(json(), report, lines.join('\n'));
      if (remaining > 0) {
        process.stderr.write(`${remaining} rows were busy; run the command again to finish\n`);
        process.exitCode = 3;
      }
    }),
  );

registerConnectionCommands(program, json);
registerProviderCommands(program, json);
registerServiceCommands(program, json);
program.addCommand((await import('./doctor.js')).doctorCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    const message =
      error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`token-broker: ${message}\n`);
    process.exitCode = 1;
  }
}
