// Lint rules, including the layering rule from STYLE.md: operator/ and agent/
// never import each other; proto/ is the only code both may share.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Relative paths up to the top-level folder only: proto/generated/tapedeck/agent/ is fine to import.
const topLevel = (folder) =>
  ['../', '../../', '../../../', '../../../../'].flatMap((up) => [`${up}${folder}`, `${up}${folder}/**`]);

const forbid = (folder) => ({
  patterns: [
    {
      group: topLevel(folder),
      message: `${folder}/ may not be imported here: share code through proto/ only`,
    },
  ],
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
  { files: ['operator/**/*.ts'], rules: { 'no-restricted-imports': ['error', forbid('agent')] } },
  { files: ['agent/**/*.ts'], rules: { 'no-restricted-imports': ['error', forbid('operator')] } },
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
