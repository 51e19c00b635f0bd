import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { openApiDocument } from '../openapi/index.js';

/** `/openapi.json` (the contract, as the server implements it) and `/docs` (Swagger UI over it). */
export function docsRouter(): Router {
  const r = Router();
  const doc = openApiDocument();
  r.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  r.use('/docs', swaggerUi.serve, swaggerUi.setup(doc, { customSiteTitle: 'inferq API' }));
  return r;
}
