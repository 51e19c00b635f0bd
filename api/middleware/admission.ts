import type { RequestHandler } from 'express';

/** Admission control: throws 503 `overloaded` when the queue is over its high-water mark. */
export type Admit = () => Promise<void>;

/** Refuses a submission before its body is read when the queue is over its high-water mark. */
export function admissionCheck(admit: Admit | undefined): RequestHandler {
  return async (_req, _res, next) => {
    await admit?.();
    next();
  };
}
