import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED, generateApiTypes } from '../../scripts/gen-api.js';

describe('web API types', () => {
  it('when the zod schemas change, then the committed web/src/api/openapi.gen.ts must be regenerated (npm run gen:api)', async () => {
    const committed = readFileSync(GENERATED, 'utf8');
    const fresh = await generateApiTypes();
    // Not toBe: a diff of 7,000 lines helps nobody; the message says what to run.
    expect(committed === fresh, 'web/src/api/openapi.gen.ts is out of date: run `npm run gen:api` and commit it').toBe(true);
  }, 60_000);
});
