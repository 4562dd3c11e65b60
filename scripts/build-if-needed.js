// `npm start` builds first when dist/ is missing or older than any source file.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? max : Math.max(max, newest(p));
    return Math.max(max, statSync(p).mtimeMs);
  }, 0);

const built = 'dist/src/main.js';
const sources = Math.max(newest('src'), newest('prisma'), statSync('package.json').mtimeMs);
if (!existsSync(built) || statSync(built).mtimeMs < sources) {
  execSync('npm run -s build', { stdio: 'inherit' });
}
