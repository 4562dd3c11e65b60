import { github } from './github.js';
import { gitlab } from './gitlab.js';
import { google } from './google.js';
import { microsoft } from './microsoft.js';
import { slack } from './slack.js';
import type { ProviderTemplate } from './types.js';

export type { ProviderTemplate, TemplatePlaceholder } from './types.js';

/** The built-in catalog, by template name. Add a template: one file here, one line below. */
export const TEMPLATES: ReadonlyMap<string, ProviderTemplate> = new Map(
  [github, gitlab, google, microsoft, slack].map((t) => [t.template, t]),
);

/** A template by name, or undefined. */
export const findTemplate = (name: string): ProviderTemplate | undefined => TEMPLATES.get(name);
