/**
 * Lua for job and batch state changes. Each runs atomically in Redis, so cancel, start and finish cannot
 * interleave badly, a job run twice stores one result (only the first finisher wins), and a batch's counts move
 * in the same step as its item's status: they never drift, and reading them costs the same at any batch size.
 *
 * Job KEYS: [1] job hash, [2] job deliveries list, [3] batch hash, [4] batch ended list, [5] batch items list,
 * [6] the deadline index (a job leaves it once it starts or ends, so it holds only the jobs still waiting).
 * ARGV[1] retention seconds, ARGV[2] '1' when the job is in a batch, ARGV[3] job id, ARGV[4] now (ISO),
 * ARGV[5] the job-events channel. A change is published inside the script (`{id, status, batch?}`, the batch id
 * read from KEYS[3]), so it is told exactly once, even if the process dies right after storing it; event
 * streams (api/sse) follow jobs and batches by these messages.
 */
const BATCH_OF = `
local function batch_of()
  if ARGV[2] ~= '1' then return nil end
  return string.match(KEYS[3], '[^:]+$')
end`;

const BATCH_ITEM_ENDED = `
local function batch_item_ended(field)
  if ARGV[2] ~= '1' then return 0 end
  redis.call('HINCRBY', KEYS[3], field, 1)
  redis.call('RPUSH', KEYS[4], ARGV[3])
  local b = redis.call('HMGET', KEYS[3], 'status', 'total', 'succeeded', 'failed', 'canceled')
  local ended = tonumber(b[3] or '0') + tonumber(b[4] or '0') + tonumber(b[5] or '0')
  if (b[1] == 'processing' or b[1] == 'canceled') and ended >= tonumber(b[2] or '0') then
    if b[1] == 'processing' then redis.call('HSET', KEYS[3], 'status', 'completed') end
    redis.call('HSET', KEYS[3], 'completed_at', ARGV[4])
    for i = 3, 5 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
    return 1
  end
  return 0
end`;

/**
 * A queued job whose deadline (epoch ms, the hash's deadline_at) is at or before now (epoch ms) fails here with
 * deadline_exceeded, in the step that checked it, so a sweep and a worker taking the job cannot both end it.
 * An expired batch item also counts as started, which keeps "running = started − succeeded − failed" exact.
 * Returns 'expired', 'expired_batch_completed', or nil when the job is not due.
 */
const EXPIRE_IF_DUE = `${BATCH_ITEM_ENDED}${BATCH_OF}
local function expire_if_due(status, deadline, now_ms)
  if status ~= 'queued' or not deadline or deadline == '' or tonumber(deadline) > tonumber(now_ms) then return nil end
  local err = cjson.encode({ code = 'deadline_exceeded', message = 'the job did not start before its deadline' })
  redis.call('HSET', KEYS[1], 'status', 'failed', 'completed_at', ARGV[4], 'error', err)
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  redis.call('PUBLISH', ARGV[5], cjson.encode({ id = ARGV[3], status = 'failed', batch = batch_of() }))
  redis.call('ZREM', KEYS[6], ARGV[3])
  if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[3], 'started', 1) end
  if batch_item_ended('failed') == 1 then return 'expired_batch_completed' end
  return 'expired'
end`;

/**
 * ARGV[6] attempt, ARGV[7] now (epoch ms). Returns 'first' (queued → processing), 'again' (a retry), 'expired'
 * or 'expired_batch_completed' (its deadline passed first: it failed instead), or the status that forbids running.
 */
export const MARK_PROCESSING = `${EXPIRE_IF_DUE}
local h = redis.call('HMGET', KEYS[1], 'status', 'deadline_at')
local s = h[1]
if s ~= 'queued' and s ~= 'processing' then return s or 'missing' end
local expired = expire_if_due(s, h[2], ARGV[7])
if expired then return expired end
redis.call('HSET', KEYS[1], 'status', 'processing', 'started_at', ARGV[4], 'attempts', ARGV[6])
redis.call('PUBLISH', ARGV[5], cjson.encode({ id = ARGV[3], status = 'processing', batch = batch_of() }))
if s == 'queued' then
  if h[2] and h[2] ~= '' then redis.call('ZREM', KEYS[6], ARGV[3]) end
  if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[3], 'started', 1) end
  return 'first'
end
return 'again'`;

/**
 * ARGV[6] status, then field/value pairs. Returns 'ok', 'ok_batch_completed', or the status already stored.
 * The end is published with every record field that changed since the job was queued (`fields`), so a request
 * waiting for it answers without reading the record back (one round trip less per job, issue 12).
 */
export const FINISH = `${BATCH_ITEM_ENDED}${BATCH_OF}
local h = redis.call('HMGET', KEYS[1], 'status', 'started_at', 'attempts', 'deadline_at')
local s = h[1]
if not s then return 'missing' end
if s == 'succeeded' or s == 'failed' or s == 'canceled' then return s end
redis.call('HSET', KEYS[1], 'status', ARGV[6], 'completed_at', ARGV[4], unpack(ARGV, 7))
redis.call('EXPIRE', KEYS[1], ARGV[1])
-- Only a job with a deadline is in the deadline index (a command per job less for the rest).
if h[4] and h[4] ~= '' then redis.call('ZREM', KEYS[6], ARGV[3]) end
-- The deliveries list (KEYS[2]) gets its own TTL from every delivery written to it.
local fields = { status = ARGV[6], completed_at = ARGV[4], started_at = h[2] or '', attempts = h[3] or '0' }
for i = 7, #ARGV, 2 do fields[ARGV[i]] = ARGV[i + 1] end
redis.call('PUBLISH', ARGV[5], cjson.encode({ id = ARGV[3], status = ARGV[6], batch = batch_of(), fields = fields }))
if batch_item_ended(ARGV[6]) == 1 then return 'ok_batch_completed' end
return 'ok'`;

/** For the deadline sweep: ARGV[6] now (epoch ms). Returns 'expired', 'expired_batch_completed', 'not_due',
 * 'missing' or the status it had (already started or ended). */
export const EXPIRE = `${EXPIRE_IF_DUE}
local h = redis.call('HMGET', KEYS[1], 'status', 'deadline_at')
if not h[1] then return 'missing' end
return expire_if_due(h[1], h[2], ARGV[6]) or (h[1] == 'queued' and 'not_due' or h[1])`;

/** Cancels a queued job. Returns 'ok', 'ok_batch_completed', 'missing' or the status that prevented it. */
export const CANCEL = `${BATCH_ITEM_ENDED}${BATCH_OF}
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return 'missing' end
if s ~= 'queued' then return s end
redis.call('HSET', KEYS[1], 'status', 'canceled', 'completed_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[3])
redis.call('PUBLISH', ARGV[5], cjson.encode({ id = ARGV[3], status = 'canceled', batch = batch_of(), fields = { status = 'canceled', completed_at = ARGV[4] } }))
if batch_item_ended('canceled') == 1 then return 'ok_batch_completed' end
return 'ok'`;

/**
 * Appends job records to an open batch, all or none. KEYS: [1] batch, [2] items list, [3..] job hashes;
 * ARGV: one JSON object of fields per job. Returns 'ok', 'missing' or the batch status that refused it.
 */
export const BATCH_APPEND = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return 'missing' end
if s ~= 'open' then return s end
for i = 1, #ARGV do
  local fields = cjson.decode(ARGV[i])
  local flat = {}
  for k, v in pairs(fields) do flat[#flat + 1] = k; flat[#flat + 1] = tostring(v) end
  redis.call('HSET', KEYS[i + 2], unpack(flat))
  redis.call('RPUSH', KEYS[2], fields['id'])
end
redis.call('HINCRBY', KEYS[1], 'total', #ARGV)
return 'ok'`;

/**
 * Seals an open batch. KEYS: [1] batch, [2] ended, [3] items; ARGV: [1] now, [2] retention, [3] job-events channel.
 * Returns 'ok', 'ok_completed' (every item had already ended), 'missing' or the status that refused it.
 */
export const BATCH_SEAL = `
local b = redis.call('HMGET', KEYS[1], 'status', 'total', 'succeeded', 'failed', 'canceled')
if not b[1] then return 'missing' end
if b[1] ~= 'open' then return b[1] end
redis.call('HSET', KEYS[1], 'status', 'processing', 'sealed_at', ARGV[1])
redis.call('PUBLISH', ARGV[3], cjson.encode({ batch = string.match(KEYS[1], '[^:]+$') }))
local ended = tonumber(b[3] or '0') + tonumber(b[4] or '0') + tonumber(b[5] or '0')
if ended >= tonumber(b[2] or '0') then
  redis.call('HSET', KEYS[1], 'status', 'completed', 'completed_at', ARGV[1])
  for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
  return 'ok_completed'
end
return 'ok'`;

/**
 * Marks a batch canceled (no more appends; items not started are canceled by the caller one by one).
 * KEYS: [1] batch, [2] ended, [3] items; ARGV: [1] now, [2] retention, [3] job-events channel. Returns the previous status, or
 * 'completed_now' when nothing was left running.
 */
export const BATCH_CANCEL = `
local b = redis.call('HMGET', KEYS[1], 'status', 'total', 'succeeded', 'failed', 'canceled')
if not b[1] then return 'missing' end
if b[1] ~= 'open' and b[1] ~= 'processing' then return b[1] end
redis.call('HSET', KEYS[1], 'status', 'canceled', 'sealed_at', ARGV[1])
redis.call('PUBLISH', ARGV[3], cjson.encode({ batch = string.match(KEYS[1], '[^:]+$') }))
local ended = tonumber(b[3] or '0') + tonumber(b[4] or '0') + tonumber(b[5] or '0')
if ended >= tonumber(b[2] or '0') then
  redis.call('HSET', KEYS[1], 'completed_at', ARGV[1])
  for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
  return 'completed_now'
end
return b[1]`;
