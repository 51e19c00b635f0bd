import fs from 'node:fs';
import { expect, it } from 'vitest';
import { CLIENT_TYPES_FILE, clientTypes } from '../../api/openapi/client-types.js';

it('client/generated/openapi.d.ts is what the current contract generates (else: npm run generate:client)', async () => {
  const committed = fs.readFileSync(CLIENT_TYPES_FILE, 'utf8');
  const fresh = await clientTypes();
  expect(committed === fresh, 'client/generated/openapi.d.ts is stale: run `npm run generate:client` and commit it').toBe(true);
  // The upload is a Blob in the generated types, not a string.
  expect(fresh).toMatch(/image\?: Blob;/);
}, 60_000);
