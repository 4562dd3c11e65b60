import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * IPv6 ranges ipaddr.js calls `unicast` that still reach a non-public host: the deprecated
 * IPv4-compatible addresses (`::7f00:1` is 127.0.0.1 to some stacks) and the deprecated
 * site-local range `fec0::/10` (RFC 3879), still routed inside some networks.
 */
const NOT_PUBLIC_V6 = [ipaddr.IPv6.parseCIDR('::/96'), ipaddr.IPv6.parseCIDR('fec0::/10')];

/** Thrown when a webhook URL points at a loopback or private-range address. */
export class DestinationRefusedError extends Error {
  override name = 'DestinationRefusedError';
  readonly code = 'EDESTINATIONREFUSED';
}

/**
 * Whether an IP address is loopback, private-range, link-local or otherwise not public:
 * anything ipaddr.js does not class as `unicast` (IPv4-mapped addresses are judged by
 * their IPv4 address; 6to4, Teredo and NAT64 prefixes are refused whole), plus
 * {@link NOT_PUBLIC_V6}. Something that is not an IP address counts as private.
 *
 * @example isPrivateAddress('10.1.2.3') // true
 */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const ip = ipaddr.process(address);
  if (ip.range() !== 'unicast') return true;
  return ip.kind() === 'ipv6' && NOT_PUBLIC_V6.some((range) => (ip as ipaddr.IPv6).match(range));
}

/** The URL's host without IPv6 brackets. */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * A `lookup` for `http.request` that resolves the host and refuses private addresses, so
 * the address checked is the address connected to (no DNS-rebinding gap).
 *
 * @example http.request(url, { lookup: publicOnlyLookup })
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) {
      callback(error, '', 0);
      return;
    }
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused || addresses.length === 0) {
      callback(new DestinationRefusedError(`${hostname} resolves to a private address`), '', 0);
      return;
    }
    if (options.all) {
      (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return;
    }
    const first = addresses[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};
