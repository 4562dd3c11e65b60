import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What a request's client IP is when the socket has none (already closed). */
const UNKNOWN = 'unknown';

/** The canonical text of an IP address (IPv4-mapped IPv6 as IPv4), or undefined. */
function canonical(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed || !ipaddr.isValid(trimmed)) return undefined;
  return ipaddr.process(trimmed).toString();
}

/** A socket's canonical peer address, kept on the socket (it cannot change). */
const PEER = Symbol('peer');

/**
 * The canonical peer of a socket, parsed once per socket rather than per request: a
 * keep-alive connection carries thousands of token reads, and parsing an address costs
 * a few µs each time (docs/PERFORMANCE.md).
 */
function peerOf(socket: Socket): string {
  const memo = socket as Socket & { [PEER]?: string };
  if (memo[PEER] !== undefined) return memo[PEER];
  const peer = canonical(socket.remoteAddress);
  // A closed socket has no address yet to remember; the next request (if any) tries again.
  if (peer === undefined) return UNKNOWN;
  memo[PEER] = peer;
  return peer;
}

/**
 * The client's IP address, believing the `X-Forwarded-For` entries added by `trustedHops`
 * reverse proxies in front of the broker (`TRUST_PROXY`) and nothing further: with 0 the
 * socket's peer, with 1 the entry the proxy appended last, and so on. Entries a client
 * wrote itself sit further left and are never read; an entry that is not an IP address
 * stops the walk at the hop that wrote it. Shared by the Express app and the raw fast path.
 *
 * @example clientIpOf(req, 1) // '203.0.113.7' behind one proxy
 */
export function clientIpOf(req: IncomingMessage, trustedHops: number): string {
  let ip = peerOf(req.socket);
  if (trustedHops === 0) return ip;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').reverse();
  for (const hop of hops.slice(0, trustedHops)) {
    const next = canonical(hop);
    if (next === undefined) break;
    ip = next;
  }
  return ip;
}

/** Memoised per request: the rate limits, the audit trail and the logs ask for it. */
const CLIENT_IP = Symbol('clientIp');

/**
 * {@link clientIpOf}, worked out once per request.
 *
 * @example const ip = requestClientIp(req, c.config.trustProxy);
 */
export function requestClientIp(req: IncomingMessage, trustedHops: number): string {
  const memo = req as IncomingMessage & { [CLIENT_IP]?: string };
  return (memo[CLIENT_IP] ??= clientIpOf(req, trustedHops));
}
