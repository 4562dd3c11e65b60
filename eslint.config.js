import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'src/generated/**',
      '.data/**',
      'coverage/**',
      'test-artifacts/**',
      'clients/*/dist/**',
      'clients/*/src/generated/**',
      // Imports the packed client, which resolves only where it is installed: the test that
      // installs it type-checks it there.
      'test/clients/consumer/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.ts', 'bin/*.js', 'scripts/*.js', 'test/support/*.js'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The house's one layering rule (docs/ARCHITECTURE.md): domain code knows nothing of
    // HTTP, Express or the composition root; it declares what it needs as an interface.
    files: ['src/**/*.ts'],
    ignores: [
      'src/http/**',
      'src/bootstrap.ts',
      'src/container.ts',
      'src/main.ts',
      'src/jobs.ts',
      'src/cli/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)http/',
              message: 'domain code must not import src/http/ (move the shared part down)',
            },
            {
              regex: '(^|/)(bootstrap|container)\\.js$',
              message: 'domain code must not import the composition root; declare a deps interface',
            },
            { regex: '^express$', message: 'only src/http/ knows Express' },
          ],
        },
      ],
    },
  },
  {
    // The CLI is a composition root of its own (cli/context.ts builds the container), but
    // it runs the domain functions, never the HTTP layer.
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)http/', message: 'the CLI must not import src/http/' },
            { regex: '(^|/)bootstrap\\.js$', message: 'the CLI must not import src/bootstrap.ts' },
            { regex: '^express$', message: 'only src/http/ knows Express' },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  { languageOptions: { globals: { ...globals.node } } },
);
