import type { Config } from 'jest';

const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
] as const;

const packages = ['shared', 'api', 'gateway', 'cli'];

const config: Config = {
  verbose: true,
  testTimeout: 30_000,
  passWithNoTests: true,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  transform: { '^.+\\.ts$': swc as unknown as [string, Record<string, unknown>] },
  moduleNameMapper: { '^@switchboard/(shared|api|gateway|cli)$': '<rootDir>/packages/$1/src' },
  projects: packages.map((name) => ({
    displayName: name,
    testEnvironment: 'node',
    testMatch: [`<rootDir>/packages/${name}/src/**/*.test.ts`],
    transform: { '^.+\\.ts$': swc as unknown as [string, Record<string, unknown>] },
    moduleNameMapper: { '^@switchboard/(shared|api|gateway|cli)$': '<rootDir>/packages/$1/src' },
  })),
};

export default config;
