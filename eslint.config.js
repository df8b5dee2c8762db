// Boundaries, enforced (docs/architecture.md, "Boundaries"): no import cycles; a gateway feature
// reaches another only through what it publishes; web features never import each other.
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';

/** What a gateway feature publishes to the others: its service, types, schemas, response shapes, policy. */
const PUBLISHED = ['service', 'types', 'schemas', 'presenter', 'policy'];
/** Named modules that are a feature's published surface too (its one entry point for others). */
// engines/msg-secret.js and engines/system-lines.js: ingest opens sealed changes with a stored secret
// and ranks call lines in SQL, so it needs the engines' scheme and ranks, not only their parsed events.
const ALSO_PUBLISHED = ['../engines/engine-registry.js', '../engines/jid.js', '../engines/msg-secret.js', '../engines/system-lines.js', '../realtime/event-log.js', '../access/access.queries.js', '../media/media.sniff.js'];

export default tseslint.config(
  { linterOptions: { reportUnusedDisableDirectives: 'off' } },
  { ignores: ['**/dist/**', '**/node_modules/**', 'web/src/api/openapi.gen.ts', 'coverage/**'] },
  {
    files: ['gateway/src/**/*.ts', 'web/src/**/*.{ts,tsx}', 'engine-sim/src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    // react-hooks: registered so the web's existing disable comments name a known rule.
    plugins: { 'import-x': importX, 'react-hooks': reactHooks },
    settings: {
      // Dependencies are parsed as TypeScript too, or cycles through .ts files go unseen.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.json'], extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['gateway/src/features/*/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // `../<other feature>/<file>` unless the file is published (`../../platform` is not a feature).
              regex: `^\\.\\./(?!(${ALSO_PUBLISHED.map((p) => p.slice(3).replace(/\./g, '\\.')).join('|')})$)(?!\\.\\.)[^/]+/(?!.*\\.(${PUBLISHED.join('|')})\\.js$)`,
              message: 'Another feature is reached only through its service, types, schemas, presenter or policy — never its repository or internals.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['web/src/features/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./(?!\\.\\.)[^/]+/', message: 'Web features never import each other: share through src/api, src/app or src/ui.' }] },
      ],
    },
  },
);
