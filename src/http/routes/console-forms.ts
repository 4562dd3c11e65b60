import type { RequestHandler, Response } from 'express';
import { CONSOLE_SCRIPT } from '../../console/layout.js';
import { rejectionOf, type FieldErrors } from '../../console/forms.js';

/** The console's session checks, shared by its route files. */
export interface ConsoleGuards {
  /** Pages: without a session the browser goes to the sign-in page. */
  signedIn: RequestHandler;
  /** Forms: a session and its CSRF token, else 403. */
  csrfChecked: RequestHandler;
}

/** The session's CSRF token, for the forms of a page (set by both guards). */
export const csrfOf = (res: Response) => res.locals.csrf as string;

/**
 * Sends a console page; one that loads the console's script gets `script-src 'self'` in its
 * CSP, every other page keeps the policy without script.
 */
export function sendPage(res: Response, body: string, status = 200): void {
  if (body.includes(`src="${CONSOLE_SCRIPT}"`)) {
    res.setHeader(
      'Content-Security-Policy',
      `${String(res.getHeader('Content-Security-Policy'))};script-src 'self'`,
    );
  }
  res.status(status).type('html').send(body);
}

/**
 * Runs a form's action; a refusal (bad input, a conflict, an unknown name) shows the form
 * again, with what was typed and each message next to its field, under a 4xx status.
 */
export async function submitted(
  res: Response,
  fields: readonly string[],
  action: () => Promise<void>,
  again: (errors: FieldErrors) => string | Promise<string>,
): Promise<void> {
  try {
    await action();
  } catch (error) {
    const rejected = rejectionOf(error, fields);
    if (!rejected) throw error;
    sendPage(res, await again(rejected.errors), rejected.status);
  }
}
