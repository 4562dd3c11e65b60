// Builds dist/ when it is missing or older than any source file: `npm start` (prestart)
// and `npx token-broker` (bin/token-broker.js) run it, so a fresh clone needs no build step.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? max : Math.max(max, newest(p));
    return Math.max(max, statSync(p).mtimeMs);
  }, 0);

/**
 * Runs `npm run build` in the project when dist/ is stale, after writing `announce` to
 * stderr. The build's own output goes to stderr (`toStderr`) when stdout belongs to the
 * caller, e.g. `token-broker --json`.
 */
export function buildIfNeeded({ toStderr = false, announce = '' } = {}) {
  const built = join(root, 'dist/src/main.js');
  const sources = Math.max(
    newest(join(root, 'src')),
    newest(join(root, 'prisma')),
    statSync(join(root, 'package.json')).mtimeMs,
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  process.stderr.write(announce);
  execSync('npm run -s build', { cwd: root, stdio: toStderr ? ['ignore', 2, 2] : 'inherit' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildIfNeeded();
