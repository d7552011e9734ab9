import { Readable } from 'node:stream';
import { createLog, type Config } from '@switchboard/api';
import { runCli } from '../cli-program';
import type { ServerModule } from './serve';

function createServeHarness(env: Record<string, string | undefined> = {}) {
  const events: string[] = [];
  const gatewayClients: unknown[] = [];
  let started: Config | undefined;
  const server: ServerModule = {
    parseConfig: (given) => ({
      home: given.SB_HOME ?? '/home/sb', databaseUrl: undefined, appDatabaseUrl: undefined, port: Number(given.SB_PORT ?? 8787), host: '127.0.0.1',
      ownerToken: undefined, gatewayToken: undefined, adminToken: undefined, concurrency: 1, leaseMs: 1000, waitTimeoutMs: 1000,
      metricsToken: undefined, logLevel: 'info', logContent: false, supabase: undefined,
    }),
    // The real logger, writing each line's message to the command's stderr.
    createLog: (options) => createLog(options, { write: (line: string) => void (stderr += `${String((JSON.parse(line) as { msg: unknown }).msg)}\n`) }),
    async startServer(config, options) {
      started = config;
      options.log?.info('worker started');
      return { url: `http://127.0.0.1:${config.port}`, port: config.port, gatewayToken: 'gw', onChannelsChanged: () => undefined, close: async () => void events.push('closed') };
    },
    async claimGatewayHolder(home) {
      events.push(`holder of ${home}`);
      return { id: 'holder-of-this-home', lasting: true, release: () => void events.push('holder released') };
    },
  };
  let stdout = '';
  let stderr = '';
  const run = (args: string[]) => runCli(args, {
    env,
    io: { out: (text) => { stdout += text; }, err: (text) => { stderr += text; } },
    input: Readable.from([]),
    loadServer: async () => server,
    loadGateway: async () => ({
      async startGateway(options) {
        gatewayClients.push(options.client);
        events.push(`gateway started as ${options.holder}`);
        return { accounts: [], sync: async () => undefined, stop: async () => void events.push('gateway stopped') };
      },
      loginWhatsapp: () => Promise.reject(new Error('no login in this test')),
    }),
    untilShutdown: async () => {
      events.push('waiting');
      return 'SIGTERM';
    },
  });
  return { run, events, gatewayClients, started: () => started, output: () => ({ stdout, stderr }) };
}

describe('sb serve', () => {
  it('starts the server with --port over SB_PORT, prints its URL, runs the gateway as the home\'s lasting holder, and closes on a signal', async () => {
    const harness = createServeHarness({ SB_PORT: '9999', SB_HOME: '/tmp/sb' });
    const code = await harness.run(['serve', '--port', '0']);
    expect(code).toBe(0);
    expect(harness.started()).toMatchObject({ port: 0, home: '/tmp/sb' });
    expect(harness.output().stdout).toBe('switchboard: listening on http://127.0.0.1:0\nswitchboard: SIGTERM, closing\nswitchboard: stopped\n');
    expect(harness.output().stderr).toBe('worker started\n');
    expect(harness.events).toEqual(['waiting', 'holder of /tmp/sb', 'gateway started as holder-of-this-home', 'gateway stopped', 'holder released', 'closed']);
  });

  it('runs without the gateway when asked', async () => {
    const harness = createServeHarness();
    expect(await harness.run(['serve', '--no-gateway'])).toBe(0);
    expect(harness.events).toEqual(['waiting', 'closed']);
    expect(harness.gatewayClients).toEqual([]);
  });

  it('keeps the configured port without --port', async () => {
    const harness = createServeHarness({ SB_PORT: '9999' });
    await harness.run(['serve']);
    expect(harness.started()?.port).toBe(9999);
  });

  it('rejects a bad --port before starting anything', async () => {
    const harness = createServeHarness();
    const code = await harness.run(['serve', '--port', '70000']);
    expect(code).toBe(1);
    expect(harness.output().stderr).toBe('sb: --port: expected a port number up to 65535\n');
    expect(harness.started()).toBeUndefined();
  });
});
