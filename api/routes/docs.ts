import { Router, type RequestHandler } from 'express';
import { openApiDocument } from '../openapi/index.js';

/** `/openapi.json` (the contract, as the server implements it) and `/docs` (Swagger UI over it). */
export function docsRouter(): Router {
  const r = Router();
  const doc = openApiDocument();
  r.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  // Swagger UI is loaded on the first /docs request, not at start: most API processes never serve it, and the
  // module costs resident memory in every one of them (issue 12: API RSS).
  let ui: Promise<Router> | null = null;
  const loadUi = () =>
    (ui ??= import('swagger-ui-express').then(({ default: swaggerUi }) => {
      const sub = Router();
      sub.use(swaggerUi.serve, swaggerUi.setup(doc, { customSiteTitle: 'inferq API' }));
      return sub;
    }));
  const docs: RequestHandler = (req, res, next) => {
    loadUi().then((sub) => sub(req, res, next), next);
  };
  r.use('/docs', docs);
  return r;
}
