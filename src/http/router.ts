import type { Express, RequestHandler } from 'express';
import { match } from 'path-to-regexp';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDef {
  method: Method;
  /** Express path, e.g. `/v1/connections/:id`. */
  path: string;
  handlers: RequestHandler[];
}

/**
 * Collects the broker's routes so that the same table mounts them on Express, answers
 * 405 with `Allow` for a known path with a wrong method, and is checked against the
 * OpenAPI document by a test.
 *
 * @example
 * routes.add('GET', '/v1/connections/:id', authenticateService, getConnection);
 */
export class RouteTable {
  readonly routes: RouteDef[] = [];

  add(method: Method, path: string, ...handlers: RequestHandler[]): this {
    this.routes.push({ method, path, handlers });
    return this;
  }

  mount(app: Express): void {
    for (const r of this.routes) {
      app[r.method.toLowerCase() as 'get'](r.path, ...r.handlers);
    }
  }

  /** Methods registered for a concrete path; empty when no route matches it. */
  allowedMethods(path: string): Method[] {
    const methods = new Set<Method>();
    for (const r of this.routes) {
      if (match(r.path, { decode: false })(path)) methods.add(r.method);
    }
    if (methods.has('GET')) methods.add('HEAD' as Method);
    return [...methods];
  }
}

/** `/v1/connections/:id` → `/v1/connections/{id}` (OpenAPI form). */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');
