import { describe, expect, it } from 'vitest';
import { checkUrl, isPublicAddress, WebhookUrlError } from '../../shared/ssrf-guard.js';

describe('isPublicAddress', () => {
  it('refuses every non-public class', () => {
    for (const ip of ['127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254',
      '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '240.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1',
      '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::', 'ff02::1', 'not-an-ip']) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });
  it('accepts public unicast', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(ip), ip).toBe(true);
  });
});

describe('checkUrl', () => {
  const guard = { allowedHosts: [] as string[] };
  it('normalises odd IPv4 spellings before judging them', () => {
    for (const u of ['http://127.1/', 'http://2130706433/', 'http://0x7f000001/', 'http://0177.0.0.1/', 'http://[::ffff:127.0.0.1]/']) {
      expect(() => checkUrl(u, guard), u).toThrow(WebhookUrlError);
    }
  });
  it('refuses localhost names, single labels, other schemes and credentials', () => {
    for (const u of ['http://localhost/', 'http://LOCALHOST./', 'http://x.localhost/', 'http://intranet/', 'ftp://example.com/', 'http://a:b@example.com/', 'nope']) {
      expect(() => checkUrl(u, guard), u).toThrow(WebhookUrlError);
    }
  });
  it('accepts public names and allow-listed hosts', () => {
    expect(checkUrl('https://hooks.example.com/x', guard).hostname).toBe('hooks.example.com');
    expect(checkUrl('http://127.0.0.1:9/x', { allowedHosts: ['127.0.0.1'] }).port).toBe('9');
    expect(checkUrl('http://receiver:8080/x', { allowedHosts: ['receiver'] }).hostname).toBe('receiver');
  });
});
