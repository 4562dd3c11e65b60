import { chromium, type Browser } from 'playwright-core';

/** Flags for Debian's Chromium on these machines: headless, as root, no network of its own. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches the system Chromium (`apt-get install chromium`; never a downloaded browser).
 *
 * @example
 * const browser = await launchChromium();
 */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
