#!/usr/bin/env node
// Entry point for `npx token-broker`; the CLI is compiled to dist/ by `npm run build`.
await import('../dist/src/cli/main.js');
