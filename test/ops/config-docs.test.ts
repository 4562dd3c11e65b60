import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import {
  configDocRows,
  renderConfigTable,
  replaceConfigTable,
  schemaDefault,
  TABLE_END,
  TABLE_START,
} from '../../src/config/docs.js';
import { loadConfig } from '../../src/config/index.js';
import {
  CONFIG_DOCS,
  configSchema,
  PRODUCTION_REQUIRED,
  type ConfigVariable,
} from '../../src/config/schema.js';
import { PROJECT_ROOT } from '../../src/paths.js';

const read = (file: string) => readFile(join(PROJECT_ROOT, file), 'utf8');

/** README's configuration table as rows of unescaped cells. */
function readmeRows(readme: string): string[][] {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return readme
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|')),
    );
}

/** `.env.example` as variable → { value, comment lines just above it }. */
function envExample(text: string): Map<string, { value: string; comments: string[] }> {
  const out = new Map<string, { value: string; comments: string[] }>();
  let comments: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) comments.push(line.slice(1).trim());
    else if (/^[A-Z0-9_]+=/.test(line)) {
      const at = line.indexOf('=');
      out.set(line.slice(0, at), { value: line.slice(at + 1), comments });
      comments = [];
    } else comments = [];
  }
  return out;
}

describe('configuration documentation', () => {
  it('documents every schema variable and nothing else', () => {
    expect(Object.keys(CONFIG_DOCS).sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it('gives every variable a default: from the schema, or a note', () => {
    expect(() => configDocRows()).not.toThrow();
    expect(schemaDefault('PORT')).toBe('3000');
    expect(schemaDefault('DATABASE_URL')).toBeUndefined();
  });

  it('documents each default as the environment spells it', () => {
    const unset = configSchema.parse({});
    for (const variable of Object.keys(CONFIG_DOCS) as ConfigVariable[]) {
      const value = schemaDefault(variable);
      if (value === undefined) continue;
      const given = configSchema.parse({ [variable]: value });
      expect({ variable, value: given[variable] }).toEqual({ variable, value: unset[variable] });
    }
  });

  it('marks (prod) exactly the variables production refuses to start without', () => {
    for (const variable of PRODUCTION_REQUIRED) {
      const env: Record<string, string> = {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db/x',
        TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
        ADMIN_API_TOKEN: 'x'.repeat(32),
        PUBLIC_URL: 'https://broker.example.com',
      };
      delete env[variable];
      expect(() => loadConfig(env)).toThrow(`${variable} is required when NODE_ENV=production`);
    }
  });

  it('README’s table matches the schema, row by row', async () => {
    const rows = readmeRows(await read('README.md'));
    expect(rows).toEqual(configDocRows().map((r) => [`\`${r.variable}\``, r.meaning, r.default]));
  });

  it('README is what `npm run docs:config` writes', async () => {
    const path = join(PROJECT_ROOT, 'README.md');
    const readme = await read('README.md');
    const regenerated = await format(replaceConfigTable(readme, renderConfigTable()), {
      ...(await resolveConfig(path)),
      filepath: path,
    });
    expect(regenerated).toBe(readme);
  });

  it('.env.example lists every variable with its meaning and the schema default', async () => {
    const example = envExample(await read('.env.example'));
    expect([...example.keys()].sort()).toEqual(Object.keys(CONFIG_DOCS).sort());
    for (const row of configDocRows()) {
      const entry = example.get(row.variable)!;
      const comment = entry.comments.join(' ');
      expect({
        variable: row.variable,
        documented: comment.includes(CONFIG_DOCS[row.variable]),
      }).toEqual({ variable: row.variable, documented: true });
      const prod = PRODUCTION_REQUIRED.includes(row.variable);
      expect({ variable: row.variable, prod: comment.includes('(prod)') }).toEqual({
        variable: row.variable,
        prod,
      });
      const value = schemaDefault(row.variable);
      if (value !== undefined) {
        expect({ variable: row.variable, value: entry.value }).toEqual({
          variable: row.variable,
          value,
        });
      }
    }
  });

  // Regression guard for the checker: a README row that drifts from the schema is caught.
  it('notices a table that drifted', async () => {
    const readme = (await read('README.md')).replace('| `8` ', '| `16`');
    expect(readmeRows(readme)).not.toEqual(
      configDocRows().map((r) => [`\`${r.variable}\``, r.meaning, r.default]),
    );
  });
});
