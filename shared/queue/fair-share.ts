import type { RedisClient } from '../redis.js';
import { BATCH_BAND, ITEMS_PER_ROUND } from './priority.js';
import type { QueueKeys } from './keys.js';

/** BullMQ's score in its prioritized set: priority × 2^32 + an arrival counter, so a priority's jobs are in one range. */
const SCORE_UNIT = 2 ** 32;
/** A batch's place is kept this long after its last append (the longest deadline); an idle batch then starts afresh. */
const SHARE_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Start-time fair queueing on BullMQ's priorities, in one atomic step per append. The queue's head (the lowest
 * round any batch item still waits in) is the virtual clock: a batch's items continue from its own place, but never
 * from behind the head, so a batch that arrives while another is half done takes turns with it from now on rather
 * than taking all the turns the first one already had. When no batch item waits at all the epoch moves on and
 * every batch's place is forgotten: the rounds start again at 0, which keeps them far from the band's end.
 *
 * KEYS: [1] BullMQ's prioritized set, [2] the epoch counter, [3] this batch's place (hash: epoch, next).
 * ARGV: [1] the band's lowest score, [2] the score just past the band, [3] the band's first priority,
 * [4] items appended, [5] items per round, [6] the place's TTL. Returns the first item's place (in items).
 */
const RESERVE = `
local head = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '(' .. ARGV[2], 'WITHSCORES', 'LIMIT', 0, 1)
local epoch
local start = 0
if #head == 0 then
  epoch = redis.call('INCR', KEYS[2])
else
  epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
  start = (math.floor(tonumber(head[2]) / ${SCORE_UNIT}) - tonumber(ARGV[3])) * tonumber(ARGV[5])
end
local mine = redis.call('HMGET', KEYS[3], 'epoch', 'next')
if tonumber(mine[1]) == epoch then start = math.max(start, tonumber(mine[2])) end
redis.call('HSET', KEYS[3], 'epoch', epoch, 'next', start + tonumber(ARGV[4]))
redis.call('EXPIRE', KEYS[3], ARGV[6])
return start`;

/**
 * Reserves `count` places in a batch's fair share and returns the first: the items of this append get the places
 * first, first + 1, …, which batchItemPriority turns into rounds.
 */
export async function reserveShare(client: RedisClient, keys: QueueKeys, batchId: string, count: number): Promise<number> {
  const start = await client.eval(
    RESERVE, 3, keys.prioritized, keys.fairEpoch, keys.fairBatch(batchId),
    String(BATCH_BAND.first * SCORE_UNIT), String((BATCH_BAND.last + 1) * SCORE_UNIT), String(BATCH_BAND.first),
    String(count), String(ITEMS_PER_ROUND), String(SHARE_TTL_SECONDS),
  );
  return Number(start);
}
