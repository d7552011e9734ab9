import type { Config } from 'jest';

const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
] as const;

const packages = ['shared', 'api', 'gateway', 'cli'];
/** jose ships only ES modules: compiled to CommonJS like our own files (the server itself imports it natively). */
const transform = { '^.+\\.ts$': swc, '/node_modules/jose/.+\\.js$': swc } as unknown as Record<string, [string, Record<string, unknown>]>;
const transformIgnorePatterns = ['/node_modules/(?!jose/)'];

const config: Config = {
  verbose: true,
  testTimeout: 30_000,
  passWithNoTests: true,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  transform,
  transformIgnorePatterns,
  moduleNameMapper: { '^@switchboard/(shared|api|gateway|cli)$': '<rootDir>/packages/$1/src' },
  projects: [
    ...packages.map((name) => project(name, `<rootDir>/packages/${name}/src/**/*.test.ts`)),
    // Attacks on the real server, one file per way out of a contact's scope.
    project('security', '<rootDir>/test/security/**/*.test.ts'),
    // Real servers killed with SIGKILL under load, judged by what the people on the channel saw.
    project('crash', '<rootDir>/test/crash/**/*.test.ts'),
  ],
};

function project(displayName: string, testMatch: string) {
  return {
    displayName,
    testEnvironment: 'node',
    testMatch: [testMatch],
    transform,
    transformIgnorePatterns,
    moduleNameMapper: { '^@switchboard/(shared|api|gateway|cli)$': '<rootDir>/packages/$1/src' },
  };
}

export default config;
