import { invalidRequest } from '../errors/index.js';

/**
 * Refuses a URL that is not https where `production` is set (`NODE_ENV=production`):
 * a webhook URL, an `allowed_return_to` origin. Outside production the caller's own rules
 * stand (plain http to loopback for local work).
 *
 * @throws BrokerError invalid_request naming the field.
 * @example assertHttpsInProduction('url', input.url, config.nodeEnv === 'production');
 */
export function assertHttpsInProduction(field: string, value: string, production: boolean): void {
  if (production && !value.toLowerCase().startsWith('https://')) {
    throw invalidRequest(`${field}: must be https in production`);
  }
}
