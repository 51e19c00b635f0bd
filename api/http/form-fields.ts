import type { Request } from 'express';

/**
 * The body fields of a request as the form validator takes them: multipart fields are strings already; a JSON
 * body's numbers, booleans and objects (metadata) are turned into the strings a form would carry.
 */
export function formFields(req: Request): Record<string, unknown> {
  if (!req.is('application/json')) return req.body ?? {};
  const body: unknown = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  return Object.fromEntries(
    Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  );
}

/** The `image_url` field of a JSON body or a form, if one was sent (any type: validated by the caller). */
export function imageUrlField(req: Request): unknown {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body && typeof body === 'object' ? body.image_url : undefined;
  return Array.isArray(v) ? v[0] : v;
}
