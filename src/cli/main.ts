#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { migrate } from '../db/migrator.js';
import { registerKeyCommands } from './keys.js';
import { registerProviderCommands } from './providers.js';
import { registerServiceCommands } from './services.js';
import { registerConnectionCommands } from './connections.js';
import { withDatabase } from './context.js';
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

registerKeyCommands(program, json);
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
