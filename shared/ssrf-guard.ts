import dns from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * The one SSRF guard of every outbound request to a client-given URL: webhook deliveries and `image_url` fetches.
 * Which addresses they may reach: public unicast only. Loopback, private, link-local (the cloud metadata
 * address 169.254.169.254 among them), CGNAT, multicast, unspecified, reserved and IPv4-mapped/translated IPv6
 * forms of those are refused. ipaddr.js classifies; the WHATWG URL parser has already turned odd IPv4 spellings
 * (`127.1`, `2130706433`, `0x7f000001`) into dotted quads before we get here.
 */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) addr = v6.toIPv4Address();
    // NAT64 and 6to4/Teredo embed an IPv4 address that may be private; refuse them outright.
    else if (v6.range() !== 'unicast') return false;
  }
  return addr.range() === 'unicast';
}

export class OutboundUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundUrlError';
  }
}
/** The name webhook code knows it by. */
export { OutboundUrlError as WebhookUrlError };

export interface GuardOptions {
  /** Hostnames or IPs (lowercase) exempt from the address check (OUTBOUND_ALLOWED_HOSTS). */
  allowedHosts: readonly string[];
  /** The resolver behind guardedLookup; dns.lookup unless a test stands in for a DNS server it cannot run. */
  resolve?: typeof dns.lookup;
}

// Brackets of IPv6 literals and the root dot (`localhost.` is localhost) are not part of the name we judge.
const bare = (host: string) => host.replace(/^\[|\]$/g, '').replace(/\.+$/, '').toLowerCase();

/**
 * Static checks on a URL: scheme, credentials, and literal addresses or localhost names. Throws OutboundUrlError
 * whose message names `field` (the request field the URL came from).
 */
export function checkUrl(raw: string, opts: GuardOptions, field = 'webhook_url'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundUrlError(`${field} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundUrlError(`${field} must be http or https`);
  if (url.username || url.password) throw new OutboundUrlError(`${field} must not carry credentials`);
  const host = bare(url.hostname);
  if (opts.allowedHosts.includes(host)) return url;
  if (ipaddr.isValid(host)) {
    if (!isPublicAddress(host)) throw new OutboundUrlError(`${field} points at a non-public address (${host})`);
  } else if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) {
    throw new OutboundUrlError(`${field} host ${host} is not a public name`);
  }
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses names resolving to non-public addresses. It runs at connect time,
 * after DNS, so a name that resolved to a public address at submit time and to 127.0.0.1 now (DNS rebinding)
 * is still refused, and no socket is opened to it.
 */
export function guardedLookup(opts: GuardOptions) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    (opts.resolve ?? dns.lookup)(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      const allowed = opts.allowedHosts.includes(hostname.toLowerCase());
      const bad = list.find((a) => !allowed && !opts.allowedHosts.includes(a.address) && !isPublicAddress(a.address));
      if (bad) {
        const e: NodeJS.ErrnoException = new OutboundUrlError(`${hostname} resolves to a non-public address (${bad.address})`);
        e.code = 'EREFUSED_SSRF';
        return callback(e, []);
      }
      if (options.all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
