import {
  CONFIG_DEFAULT_NOTES,
  CONFIG_DOCS,
  configSchema,
  PRODUCTION_REQUIRED,
  type ConfigVariable,
} from './schema.js';

/** One row of the README's configuration table, as plain text (markdown in `default`). */
export interface ConfigDocRow {
  variable: ConfigVariable;
  meaning: string;
  default: string;
}

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

/**
 * The schema's own default for `variable` as the environment would spell it, or
 * undefined when the schema has none (optional, derived at start-up).
 *
 * @example
 * schemaDefault('PORT'); // '3000'
 */
export function schemaDefault(variable: ConfigVariable): string | undefined {
  const field = configSchema.shape[variable];
  const parsed = field.safeParse(undefined);
  const value: unknown = parsed.success ? parsed.data : undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return undefined;
}

/**
 * The configuration table's rows, derived from CONFIG_DOCS, the schema's defaults,
 * CONFIG_DEFAULT_NOTES and PRODUCTION_REQUIRED.
 *
 * @throws Error naming a variable that has neither a schema default nor a note.
 */
export function configDocRows(): ConfigDocRow[] {
  return (Object.keys(CONFIG_DOCS) as ConfigVariable[]).map((variable) => {
    const value = schemaDefault(variable);
    const note = CONFIG_DEFAULT_NOTES[variable];
    if (value === undefined && note === undefined) {
      throw new Error(`${variable} has no schema default: document it in CONFIG_DEFAULT_NOTES`);
    }
    const prod = PRODUCTION_REQUIRED.includes(variable) ? ' (prod)' : '';
    return {
      variable,
      meaning: `${CONFIG_DOCS[variable]}${prod}`,
      default: value === undefined ? note! : `\`${value}\``,
    };
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The table as markdown (unaligned; the script formats it with prettier). */
export function renderConfigTable(rows = configDocRows()): string {
  return [
    '| variable | meaning | default |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| \`${r.variable}\` | ${cell(r.meaning)} | ${cell(r.default)} |`),
  ].join('\n');
}

/**
 * `readme` with the text between the config-table markers replaced by `table`.
 *
 * @throws Error when the markers are missing.
 */
export function replaceConfigTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README needs ${TABLE_START} … ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${table}\n\n${readme.slice(end)}`;
}
