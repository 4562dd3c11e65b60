import { readFile } from 'node:fs/promises';
import { registerTemplates } from './index.js';
import type { ProviderTemplate } from './types.js';

/** A JSON template: like a built-in one, with each placeholder `pattern` as a string. */
type JsonTemplate = Omit<ProviderTemplate, 'placeholders'> & {
  placeholders: (Omit<ProviderTemplate['placeholders'][number], 'pattern'> & { pattern: string })[];
};

/**
 * Loads `PROVIDER_TEMPLATES_FILE`: a JSON array of templates for providers the catalog
 * lacks (an in-house IdP, a regional API), checked by the catalog schema like the
 * built-in ones and added to the catalog.
 *
 * @throws Error naming the file and the first problem; the broker does not start.
 * @example
 * await loadTemplatesFile('/etc/token-broker/templates.json');
 */
export async function loadTemplatesFile(path: string): Promise<void> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (!Array.isArray(parsed)) throw new Error('must be a JSON array of templates');
    const templates = (parsed as JsonTemplate[]).map((t) => ({
      ...t,
      placeholders: (t.placeholders ?? []).map((p) => ({ ...p, pattern: new RegExp(p.pattern) })),
    }));
    registerTemplates(templates);
  } catch (error) {
    throw new Error(`PROVIDER_TEMPLATES_FILE ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
