import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler } from 'express';
import type { Queue } from 'bullmq';
import { AppError } from '../../shared/errors.js';
import { QUEUES, openQueue } from '../../shared/queue/index.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import type { Config } from '../../shared/config.js';
import type { RedisClient } from '../../shared/redis.js';

export interface AdminRoutesDeps {
  /** ADMIN_TOKEN; without it the dashboard is off. */
  adminToken: string | undefined;
  /** The inference queue, shown read-only. */
  queue: Queue;
  /** For a second handle on the webhooks queue over the API's own connection. */
  config: Readonly<Config>;
  redis: RedisClient;
}

/** Where the queue dashboard lives. */
export const ADMIN_QUEUES_PATH = '/admin/queues';
/** The browser session cookie, scoped to `/admin` so no other route ever receives it. */
export const ADMIN_COOKIE = 'inferq_admin';
const COOKIE_PATH = '/admin';
/** How long one `?token=` login lasts. */
export const ADMIN_SESSION_SECONDS = 12 * 3600;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time string comparison on digests: neither the content nor the length leaks through timing. */
function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

/**
 * The cookie never holds the token itself: it holds an expiry and an HMAC of it keyed by ADMIN_TOKEN. A stolen
 * cookie therefore opens the dashboard until it expires but reveals nothing that unlocks other operator endpoints,
 * and changing ADMIN_TOKEN invalidates every cookie at once.
 */
function sessionMac(token: string, expires: number): string {
  return createHmac('sha256', token).update(`inferq-admin-session:${expires}`).digest('base64url');
}

export function sessionCookieValue(token: string, nowMs = Date.now()): string {
  const expires = Math.floor(nowMs / 1000) + ADMIN_SESSION_SECONDS;
  return `${expires}.${sessionMac(token, expires)}`;
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function validSession(value: string | null, token: string, nowMs = Date.now()): boolean {
  const m = value ? /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
  if (!m) return false;
  const expires = Number(m[1]);
  // The MAC is checked whatever the expiry says, so an expired and a forged cookie take the same time.
  const macOk = sameSecret(m[2]!, sessionMac(token, expires));
  return macOk && expires * 1000 > nowMs;
}

/** Headers for every admin response: no framing (clickjacking of queue actions), no Referer with paths. */
const adminHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
};

/**
 * `?token=<ADMIN_TOKEN>` once, from a browser: a right token sets the session cookie and redirects (303) to the
 * same page without the token, so it stays out of the address bar, history and later Referer headers; a wrong
 * one is 403. Requests without `token` pass on unchanged.
 */
function tokenLogin(token: string): RequestHandler {
  return (req, res, next) => {
    const presented = req.query.token;
    if (presented === undefined) return next();
    if (typeof presented !== 'string' || !sameSecret(presented, token)) {
      return next(new AppError('forbidden', 'wrong ADMIN_TOKEN'));
    }
    res.cookie(ADMIN_COOKIE, sessionCookieValue(token), {
      httpOnly: true,
      sameSite: 'strict',
      path: COOKIE_PATH,
      maxAge: ADMIN_SESSION_SECONDS * 1000,
      // Only over a TLS connection this process terminated itself; behind a TLS proxy the browser still sees https.
      secure: req.secure,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, withoutToken(req));
  };
}

/** The requested admin page without `token`; always a path under /admin/queues, never another origin. */
function withoutToken(req: Request): string {
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
  query.delete('token');
  const rest = query.toString();
  return `${ADMIN_QUEUES_PATH}${req.path === '/' ? '' : req.path}${rest ? `?${rest}` : ''}`;
}

/**
 * `Authorization: Bearer <ADMIN_TOKEN>` (scripts, curl) or the session cookie (browsers). A request that sends an
 * Authorization header is judged by it alone: 401 when malformed, 403 when wrong.
 */
function adminAuth(token: string): RequestHandler {
  const bearer = requireAdmin(token);
  return (req, res, next) => {
    if (req.get('authorization') !== undefined) return bearer(req, res, next);
    if (validSession(cookieValue(req.get('cookie'), ADMIN_COOKIE), token)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer');
    next(new AppError('unauthorized', `send Authorization: Bearer <ADMIN_TOKEN>, or open ${ADMIN_QUEUES_PATH}?token=<ADMIN_TOKEN> once in a browser`));
  };
}

/**
 * The bull-board queue dashboard at `/admin/queues` (HTML UI and its JSON API under `/admin/queues/api`), for
 * operators only. Off (404 `not_found`) without ADMIN_TOKEN.
 *
 * `queues` defaults to the inference queue (`deps.queue`) and a handle on the webhooks queue made on `deps.redis`.
 * The inference queue is read-only here: inferq's job records are the source of truth, and removing, retrying or
 * emptying BullMQ jobs behind their back would strand records in `queued` (cancel with POST /v1/jobs/:id/cancel).
 * Webhook deliveries may be retried from the UI (e.g. one that gave up while its receiver was down).
 */
export function adminRouter(deps: AdminRoutesDeps, queues?: Queue[]): Router {
  const r = Router();
  const token = deps.adminToken;
  if (!token) {
    r.use(ADMIN_QUEUES_PATH, (_req, _res, next) => {
      next(new AppError('not_found', 'the admin UI is off; set ADMIN_TOKEN to enable it'));
    });
    return r;
  }

  const list = queues ?? [deps.queue, webhooksQueue(deps)];
  // bull-board is loaded only when the dashboard is on, and then in the background from the start: an API without
  // ADMIN_TOKEN never pays its resident memory (issue 12: API RSS). Requests that come before it has loaded wait.
  const board = loadBoard(list);
  board.catch(() => undefined);
  const ui: RequestHandler = (req, res, next) => {
    board.then((handler) => handler(req, res, next), next);
  };
  r.use(ADMIN_QUEUES_PATH, adminHeaders, tokenLogin(token), adminAuth(token), ui);
  return r;
}

/** The dashboard's express handler over `list` (the inference queue read-only). */
async function loadBoard(list: Queue[]): Promise<RequestHandler> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/express'),
  ]);
  const board = new ExpressAdapter();
  board.setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: list.map(
      (q) =>
        new BullMQAdapter(q, {
          readOnlyMode: q.name === QUEUES.inference,
          description: q.name === QUEUES.inference
            ? 'classification jobs (read-only: cancel through POST /v1/jobs/:id/cancel)'
            : q.name === QUEUES.webhooks
              ? 'webhook deliveries'
              : '',
        }),
    ),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'inferq queues' } },
  });
  const ui = board.getRouter() as { disable?: (setting: string) => void } & RequestHandler;
  ui.disable?.('x-powered-by');
  return ui;
}

/** A second handle on the webhooks queue over the API's own connection (nothing new to close). */
function webhooksQueue(deps: AdminRoutesDeps): Queue {
  const q = openQueue(QUEUES.webhooks, deps.config, deps.redis).bull;
  // The shared connection logs its own errors (shared/redis.ts); without a listener BullMQ prints them raw.
  q.on('error', () => undefined);
  return q;
}
