#!/usr/bin/env node
// Entry point for `npx token-broker`. In a clone (src/ present) it builds dist/ first when
// missing or stale; an installed image has dist/ alone and runs it as it is.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
  const { buildIfNeeded } = await import('../scripts/build-if-needed.js');
  try {
    buildIfNeeded({ toStderr: true, announce: 'token-broker: building dist/ first (once)…\n' });
  } catch {
    process.stderr.write('token-broker: the build failed (output above); fix it and run again\n');
    process.exit(1);
  }
}
await import('../dist/src/cli/main.js');
