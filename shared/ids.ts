import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID (48-bit millisecond time + 80 random bits, Crockford base32): sortable by creation time. Built from one
 * randomBytes call; the ulid package draws a random value per character.
 */
export function ulid(now = Date.now()): string {
  let time = '';
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  const r = randomBytes(10);
  let rand = '';
  // 80 bits → 16 characters of 5 bits.
  for (let bit = 0; bit < 80; bit += 5) {
    const byte = bit >> 3;
    const word = (r[byte]! << 8) | (r[byte + 1] ?? 0);
    rand += CROCKFORD[(word >> (11 - (bit & 7))) & 31];
  }
  return time + rand;
}

/** Ids are server-generated (never derived from client input) and sort by creation time. */
export const newJobId = () => `job_${ulid()}`;
export const newBatchId = () => `bat_${ulid()}`;
export const newRequestId = () => `req_${ulid()}`;

const ID_PATTERN = /^(job|bat)_[0-9A-HJKMNP-TV-Z]{26}$/;
/** True for a well-formed id of ours; anything else is answered 404 before touching Redis. */
export const isValidId = (id: string, kind: 'job' | 'bat') => ID_PATTERN.test(id) && id.startsWith(`${kind}_`);
