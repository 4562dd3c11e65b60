import { asana } from './asana.js';
import { atlassian } from './atlassian.js';
import { auth0 } from './auth0.js';
import { bitbucket } from './bitbucket.js';
import { box } from './box.js';
import { validateCatalog } from './catalog-schema.js';
import { discord } from './discord.js';
import { dropbox } from './dropbox.js';
import { figma } from './figma.js';
import { githubEnterprise } from './github-enterprise.js';
import { github } from './github.js';
import { gitlab } from './gitlab.js';
import { google } from './google.js';
import { hubspot } from './hubspot.js';
import { keycloak } from './keycloak.js';
import { linear } from './linear.js';
import { linkedin } from './linkedin.js';
import { microsoft } from './microsoft.js';
import { notion } from './notion.js';
import { okta } from './okta.js';
import { quickbooks } from './quickbooks.js';
import { salesforce } from './salesforce.js';
import { shopify } from './shopify.js';
import { slackUser } from './slack-user.js';
import { slack } from './slack.js';
import { spotify } from './spotify.js';
import { x } from './x.js';
import { xero } from './xero.js';
import { zendesk } from './zendesk.js';
import { zoom } from './zoom.js';
import type { ProviderTemplate } from './types.js';

export type { ProviderTemplate, TemplatePlaceholder } from './types.js';

/** The built-in catalog. Add a template: one file here, one entry below (docs/PROVIDERS.md). */
export const BUILT_IN_TEMPLATES: readonly ProviderTemplate[] = [
  asana,
  atlassian,
  auth0,
  bitbucket,
  box,
  discord,
  dropbox,
  figma,
  github,
  githubEnterprise,
  gitlab,
  google,
  hubspot,
  keycloak,
  linear,
  linkedin,
  microsoft,
  notion,
  okta,
  quickbooks,
  salesforce,
  shopify,
  slack,
  slackUser,
  spotify,
  x,
  xero,
  zendesk,
  zoom,
];

// Checked when the module loads, so a broken entry stops the broker at start.
validateCatalog(BUILT_IN_TEMPLATES);

const catalog = new Map(BUILT_IN_TEMPLATES.map((t) => [t.template, t]));

/** The catalog (built-in plus any registered at start), by template name. */
export const TEMPLATES: ReadonlyMap<string, ProviderTemplate> = catalog;

/** A template by name, or undefined. */
export const findTemplate = (name: string): ProviderTemplate | undefined => catalog.get(name);

const BUILT_IN_NAMES = new Set(BUILT_IN_TEMPLATES.map((t) => t.template));

/**
 * Adds site-specific templates (from `PROVIDER_TEMPLATES_FILE`) after checking them like
 * the built-in ones; a built-in template cannot be replaced, a site one is (reloads).
 * @throws Error naming the first invalid or clashing template.
 */
export function registerTemplates(templates: readonly ProviderTemplate[]): void {
  validateCatalog(templates);
  for (const t of templates) {
    if (BUILT_IN_NAMES.has(t.template)) throw new Error(`template ${t.template} is built in`);
  }
  for (const t of templates) catalog.set(t.template, t);
}
