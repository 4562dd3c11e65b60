import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrismaClient } from '../../src/db/client.js';
import type { Keyring } from '../../src/vault/keyring.js';
import { newId } from '../../src/ids.js';
import { sealTokenSet } from '../../src/vault/token-set.js';
import type { Upstream } from '../support/upstream.js';

/**
 * `n` active connections each holding a real upstream grant, inserted in one batch;
 * `schedule` gives each its stored expiry and next refresh time from the upstream expiry.
 */
export async function seedConnections(
  prisma: PrismaClient,
  keyring: Keyring,
  upstream: Upstream,
  providerKey: string,
  n: number,
  schedule: (upstreamExpiresAt: Date) => { expiresAt: Date | null; nextRefreshAt: Date | null },
) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const issued = await upstream.issueTokens('broker', `user-${i}-${newId('conn')}`);
    const id = newId('conn');
    const when = schedule(new Date(Date.now() + issued.expires_in * 1000));
    rows.push({ id, subject: `user-${id}`, issued, ...when });
  }
  await prisma.connection.createMany({
    data: rows.map((r) => ({
      id: r.id,
      providerKey,
      subject: r.subject,
      scopes: ['openid', 'offline_access', 'api'],
      expiresAt: r.expiresAt,
      nextRefreshAt: r.nextRefreshAt,
    })),
  });
  await prisma.tokenSet.createMany({
    data: rows.map((r) => ({
      connectionId: r.id,
      ...sealTokenSet(keyring, r.id, {
        accessToken: r.issued.access_token,
        refreshToken: r.issued.refresh_token,
        idToken: undefined,
        tokenType: 'Bearer',
        expiresAt: r.expiresAt,
      }),
    })),
  });
  return rows.map((r) => r.id);
}

/**
 * A pass-through proxy in front of a token endpoint that can hold requests: a test
 * can then kill a replica while its refresh requests are provably not yet at the provider.
 * Held requests whose client died meanwhile are dropped, never forwarded.
 */
export async function startHoldingProxy(target: string) {
  let holding = false;
  let holdingAnswers = false;
  const answers: string[] = [];
  const held: (() => void)[] = [];
  let forwarded = 0;
  let dropped = 0;
  // A killed client's socket may be half-closed rather than destroyed: the server keeps
  // it writable for the pending response. Either way the client is gone.
  const gone = new WeakSet<object>();

  async function forward(req: IncomingMessage, body: string, res: ServerResponse) {
    if (req.socket.destroyed || gone.has(req.socket)) {
      dropped++;
      return;
    }
    forwarded++;
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept', 'dpop']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(target, { method: 'POST', headers, body });
    const text = await answer.text();
    answers.push(text);
    if (holdingAnswers) await new Promise<void>((ok) => held.push(ok));
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-store',
    });
    res.end(text);
  }

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const go = () => void forward(req, body, res).catch(() => res.destroy());
      if (holding) held.push(go);
      else go();
    });
  });
  server.on('connection', (socket) => socket.once('end', () => gone.add(socket)));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    get heldCount() {
      return held.length;
    },
    get forwarded() {
      return forwarded;
    },
    get dropped() {
      return dropped;
    },
    hold() {
      holding = true;
    },
    /** The token endpoint's answer bodies, in order. */
    answers,
    /** Forwards requests but holds the provider's answers: the provider has issued, the client not yet heard. */
    holdAnswers() {
      holdingAnswers = true;
    },
    /** Stops holding and forwards what is held (dropping requests whose client is gone). */
    release() {
      holding = false;
      holdingAnswers = false;
      for (const go of held.splice(0)) go();
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
