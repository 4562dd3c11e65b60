import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { parseRetryAfter } from '../providers/upstream-errors.js';
import {
  DestinationRefusedError,
  hostOf,
  isPrivateAddress,
  publicOnlyLookup,
} from './destination.js';

/** Characters of a receiver's response body kept for the delivery log. */
export const RESPONSE_PREFIX_CHARS = 256;
/** Bytes read from a response before the connection is dropped. */
const MAX_RESPONSE_BYTES = 4096;

/** What one POST to a receiver came to. */
export interface SendResult {
  /** HTTP status, or undefined when no response arrived. */
  status: number | undefined;
  latencyMs: number;
  /** `timeout`, `network`, `destination_refused`, `aborted`, or undefined on a response. */
  error: string | undefined;
  /** Seconds from the receiver's `Retry-After`, when it sent one. */
  retryAfterSeconds: number | undefined;
  /** The first RESPONSE_PREFIX_CHARS characters of the response body. */
  bodyPrefix: string | undefined;
}

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
  signal?: AbortSignal;
}

/**
 * POSTs one webhook. Never follows redirects (a 3xx is just a non-2xx answer), gives up
 * after `timeoutMs` in all, keeps only a short prefix of the answer, and — unless
 * `allowPrivate` — refuses hosts that are or resolve to loopback/private addresses.
 * Never throws: every failure becomes a `SendResult` with `error` set.
 *
 * @example
 * const r = await send({ url, headers, body, timeoutMs: 10_000, allowPrivate: false });
 */
export function send(req: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const failed = (error: string): SendResult => ({
    status: undefined,
    latencyMs: elapsed(),
    error,
    retryAfterSeconds: undefined,
    bodyPrefix: undefined,
  });
  const url = new URL(req.url);
  if (!req.allowPrivate && isIP(hostOf(url)) !== 0 && isPrivateAddress(hostOf(url))) {
    return Promise.resolve(failed('destination_refused'));
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const request = client.request(url, {
      method: 'POST',
      headers: { ...req.headers, 'content-length': Buffer.byteLength(req.body) },
      agent: false,
      ...(req.allowPrivate ? {} : { lookup: publicOnlyLookup }),
    });
    const timer = setTimeout(() => {
      finish(failed('timeout'));
      request.destroy();
    }, req.timeoutMs);
    const onAbort = () => {
      finish(failed('aborted'));
      request.destroy();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: Error) => {
      finish(failed(error instanceof DestinationRefusedError ? 'destination_refused' : 'network'));
    });
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () =>
        finish({
          status: res.statusCode,
          latencyMs: elapsed(),
          error: undefined,
          retryAfterSeconds: parseRetryAfter(res.headers['retry-after']),
          bodyPrefix: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_PREFIX_CHARS),
        });
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
        // Enough kept: stop reading a large or endless body.
        if (size >= MAX_RESPONSE_BYTES) {
          done();
          res.destroy();
        }
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    if (req.signal?.aborted) onAbort();
    else request.end(req.body);
  });
}
