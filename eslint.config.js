// Lint rules, including the layering rule from STYLE.md: operator/ and agent/
// never import each other; proto/ is the only code both may share.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbid = (folder) => ({
  patterns: [
    {
      group: [`**/${folder}/**`, `**/${folder}`],
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
            { group: ['**/agent/**', '**/operator/**'], message: 'proto/ depends on nothing else in tapedeck' },
          ],
        },
      ],
    },
  },
);
