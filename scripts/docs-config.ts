// `npm run docs:config`: rewrites README's configuration table from src/config/schema.ts.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { renderConfigTable, replaceConfigTable } from '../src/config/docs.js';
import { PROJECT_ROOT } from '../src/paths.js';

const path = join(PROJECT_ROOT, 'README.md');
const before = await readFile(path, 'utf8');
const options = { ...(await resolveConfig(path)), filepath: path };
const after = await format(replaceConfigTable(before, renderConfigTable()), options);
if (after === before) {
  process.stdout.write('README.md configuration table is current\n');
} else {
  await writeFile(path, after);
  process.stdout.write('README.md configuration table rewritten\n');
}
