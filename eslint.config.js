// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'bench/results/', 'example-app/public/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-empty-object-type': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      'no-control-regex': 'off',
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  { files: ['test/types/**/*.ts'], rules: { '@typescript-eslint/no-unused-expressions': 'off' } },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/client/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['./client/*'], message: 'server code never imports the client entry' }] },
      ],
    },
  },
  {
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['jose', 'zod', 'node:*'],
              message: 'the client entry is browser-safe: no jose, zod or node built-ins',
            },
            {
              // The defaults are a leaf the client shares with the server (test/architecture).
              group: ['../*', '!../config', '../config/*', '!../config/defaults.js'],
              allowTypeImports: true,
              message: 'the client entry imports only types from the server side (and the defaults)',
            },
          ],
        },
      ],
    },
  },
);
