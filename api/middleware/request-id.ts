import type { RequestHandler } from 'express';
import { newRequestId } from '../../shared/ids.js';

// A client's id is echoed only when it is short and plain, so it is safe in logs and headers.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
}

/** Every response carries `X-Request-Id`: the client's when it sent a usable one, a new one otherwise. */
export const requestId: RequestHandler = (req, res, next) => {
  const given = req.get('x-request-id');
  req.id = given && SAFE_ID.test(given) ? given : newRequestId();
  res.setHeader('X-Request-Id', req.id);
  next();
};
