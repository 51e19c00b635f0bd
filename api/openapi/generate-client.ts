import fs from 'node:fs';
import { CLIENT_TYPES_FILE, clientTypes } from './client-types.js';

/** `npm run generate:client`: rewrites client/generated/openapi.d.ts from the current contract. */
fs.writeFileSync(CLIENT_TYPES_FILE, await clientTypes());
console.log(`wrote ${CLIENT_TYPES_FILE.pathname}`);
