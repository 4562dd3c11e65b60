import type { WebhookScheme } from '../types.js';
import { asana, bitbucket, dropbox, github, intuit, linear, shopify, xero } from './body-hmac.js';
import { discord } from './discord.js';
import { gitlab } from './shared-token.js';
import { box, hubspot, slack, standardWebhooks, stripe, zendesk, zoom } from './timestamped.js';

/** Every scheme the broker verifies, by the name a template's `webhook.scheme` gives. */
export const WEBHOOK_SCHEMES = {
  asana,
  bitbucket,
  box,
  discord,
  dropbox,
  github,
  gitlab,
  hubspot,
  intuit,
  linear,
  shopify,
  slack,
  'standard-webhooks': standardWebhooks,
  stripe,
  xero,
  zendesk,
  zoom,
} as const satisfies Record<string, WebhookScheme>;

export type WebhookSchemeName = keyof typeof WEBHOOK_SCHEMES;

export const WEBHOOK_SCHEME_NAMES = Object.keys(WEBHOOK_SCHEMES) as WebhookSchemeName[];
