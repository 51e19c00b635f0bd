/** `/openapi.json`: generated from the contract by api/openapi/ (kept here so that importers keep their path). */
export { openApiDocument } from './openapi/index.js';
