// Lint rules, including the layering rule from STYLE.md: operator/ and agent/
// never import each other; proto/ (the contract) and core/ (formats, flow engine) are what they share.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Relative paths up to the top-level folder only: proto/generated/tapedeck/agent/ is fine to import.
const topLevel = (folder) =>
  ['../', '../../', '../../../', '../../../../'].flatMap((up) => [`${up}${folder}`, `${up}${folder}/**`]);

const forbid = (...folders) => ({
  patterns: folders.map((folder) => ({
    group: topLevel(folder),
    message: `${folder}/ may not be imported here: share code through proto/ or core/ only`,
  })),
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '**/generated/**', 'test/env/go/**', 'build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['operator/**/*.ts'], rules: { 'no-restricted-imports': ['error', forbid('agent', 'cli')] } },
  { files: ['agent/**/*.ts'], rules: { 'no-restricted-imports': ['error', forbid('operator', 'cli')] } },
  // cli/ is the `tapedeck` program: it builds on core/ and proto/, never on the binaries' wiring.
  { files: ['cli/**/*.ts'], rules: { 'no-restricted-imports': ['error', forbid('agent', 'operator')] } },
  // core/ (packet formats, the flow engine, parsers, record schema) does no I/O of its own and sits
  // below the agent, the operator and the CLI.
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', forbid('agent', 'operator', 'cli', 'test')] },
  },
  {
    files: ['proto/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...topLevel('agent'), ...topLevel('operator')],
              message: 'proto/ depends on nothing else in tapedeck',
            },
          ],
        },
      ],
    },
  },
);
