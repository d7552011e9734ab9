/**
 * Load generators for `POST /v1/inbound?wait=true`: wrk with a Lua script when it is installed,
 * else a Node `fetch` client (which shares the 2 cores with the server, so it reads lower). Every
 * request is a new platform message id from one of `senders` telegram ids, taken round robin, so
 * no sender has two messages in flight unless the concurrency approaches the sender count.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoadTarget {
  baseUrl: string;
  token: string;
  senders: number;
  /** Where the wrk script is written. */
  workDir: string;
}

export interface LoadRun {
  concurrency: number;
  seconds: number;
}

/** One measured run; latencies in milliseconds, `turns` = answered 200s. */
export interface LoadResult {
  client: 'wrk' | 'node';
  concurrency: number;
  seconds: number;
  requests: number;
  turns: number;
  turnsPerSec: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  errors: { connect: number; read: number; write: number; timeout: number; non200: number };
}

export interface LoadClient {
  name: 'wrk' | 'node';
  version: string;
  run(target: LoadTarget, run: LoadRun): Promise<LoadResult>;
}

/** wrk when it is on the PATH (installing the Debian package once if apt-get can), else Node. */
export function chooseLoadClient(preferred: 'wrk' | 'node' | undefined, log: (line: string) => void): LoadClient {
  if (preferred === 'node') return nodeClient;
  if (findWrk() || (tryInstallWrk(log) && findWrk())) return { ...wrkClient, version: findWrk() ?? 'wrk' };
  if (preferred === 'wrk') throw new Error('wrk is not installed and `apt-get install -y wrk` failed');
  log('bench: wrk is not available; using the Node fetch client (it shares the CPUs with the server)');
  return nodeClient;
}

export function inboundBody(senderIndex: number, messageId: string): string {
  return JSON.stringify({ channel: 'telegram', sender: { id: String(100_000_000 + senderIndex) }, messageId, text: `bench ${messageId}` });
}

/** wrk's banner line (`wrk --version` prints it and exits 1), or undefined when wrk is missing. */
function findWrk(): string | undefined {
  const result = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (result.error) return undefined;
  return result.stdout.split('\n')[0]?.trim() || 'wrk';
}

function tryInstallWrk(log: (line: string) => void): boolean {
  log('bench: wrk not found; trying `apt-get install -y wrk` once');
  try {
    execFileSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'pipe', timeout: 120_000 });
    return true;
  } catch {
    log('bench: `apt-get install -y wrk` failed');
    return false;
  }
}

const WRK_THREADS = 2;
/** A request slower than this counts as a timeout error (wrk's `--timeout` too). */
const REQUEST_TIMEOUT_MS = 10_000;

const wrkClient: Omit<LoadClient, 'version'> = {
  name: 'wrk',
  async run(target, run) {
    const script = join(target.workDir, `inbound-${randomUUID()}.lua`);
    writeFileSync(script, wrkScript(target, randomUUID().slice(0, 8)));
    const args = [`-t${Math.min(WRK_THREADS, run.concurrency)}`, `-c${run.concurrency}`, `-d${run.seconds}s`, '--timeout', `${REQUEST_TIMEOUT_MS / 1000}s`, '-s', script, target.baseUrl];
    const output = await runProcess('wrk', args, (run.seconds + 30) * 1000);
    return parseWrkOutput(output, run);
  },
};

/** The Lua script: distinct message ids, senders round robin, non-200 answers counted per thread. */
function wrkScript(target: LoadTarget, nonce: string): string {
  return `
local threads = {}
local nextThread = 0
function setup(thread)
  thread:set("tid", nextThread)
  nextThread = nextThread + 1
  table.insert(threads, thread)
end
function init(args)
  counter = 0
  non200 = 0
  wrk.method = "POST"
  wrk.path = "/v1/inbound?wait=true"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer ${target.token}"
end
function request()
  counter = counter + 1
  local n = counter * ${WRK_THREADS} + tid
  local sender = 100000000 + (n % ${target.senders})
  local id = "${nonce}-" .. tid .. "-" .. counter
  local body = '{"channel":"telegram","sender":{"id":"' .. sender .. '"},"messageId":"' .. id .. '","text":"bench ' .. id .. '"}'
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local non = 0
  for _, thread in ipairs(threads) do non = non + thread:get("non200") end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"durationUs":%d,"non200":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"meanUs":%f,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d}\\n',
    summary.requests, summary.duration, non, e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;
}

interface WrkSummary {
  requests: number; durationUs: number; non200: number; connect: number; read: number; write: number; timeout: number;
  meanUs: number; p50Us: number; p90Us: number; p99Us: number; maxUs: number;
}

function parseWrkOutput(output: string, run: LoadRun): LoadResult {
  const line = output.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`wrk printed no summary:\n${output}`);
  const s = JSON.parse(line.slice('BENCH '.length)) as WrkSummary;
  const seconds = s.durationUs / 1e6;
  const turns = s.requests - s.non200;
  const ms = (us: number) => round(us / 1000);
  return {
    client: 'wrk', concurrency: run.concurrency, seconds: round(seconds), requests: s.requests, turns,
    turnsPerSec: round(turns / seconds),
    latencyMs: { mean: ms(s.meanUs), p50: ms(s.p50Us), p90: ms(s.p90Us), p99: ms(s.p99Us), max: ms(s.maxUs) },
    errors: { connect: s.connect, read: s.read, write: s.write, timeout: s.timeout, non200: s.non200 },
  };
}

const nodeClient: LoadClient = {
  name: 'node',
  version: `node ${process.version} fetch`,
  async run(target, run) {
    const nonce = randomUUID().slice(0, 8);
    const latencies: number[] = [];
    const errors = { connect: 0, read: 0, write: 0, timeout: 0, non200: 0 };
    let sent = 0;
    const started = performance.now();
    const deadline = started + run.seconds * 1000;
    const loop = async () => {
      while (performance.now() < deadline) {
        const n = sent++;
        const t0 = performance.now();
        const status = await postInbound(target, n % target.senders, `${nonce}-${n}`).catch(failureKind);
        if (status === 'timeout' || status === 'connect') errors[status] += 1;
        else if (status !== 200) errors.non200 += 1;
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: run.concurrency }, loop));
    const seconds = (performance.now() - started) / 1000;
    const turns = latencies.length - errors.non200 - errors.connect - errors.timeout;
    return {
      client: 'node', concurrency: run.concurrency, seconds: round(seconds), requests: latencies.length, turns,
      turnsPerSec: round(turns / seconds), latencyMs: summarize(latencies), errors,
    };
  },
};

/** `turns` requests one after another (Node client): the latency of a turn on an idle server. */
export async function runOneAtATime(target: LoadTarget, turns: number): Promise<LoadResult> {
  const nonce = randomUUID().slice(0, 8);
  const latencies: number[] = [];
  const errors = { connect: 0, read: 0, write: 0, timeout: 0, non200: 0 };
  const started = performance.now();
  for (let n = 0; n < turns; n++) {
    const t0 = performance.now();
    const status = await postInbound(target, n % target.senders, `${nonce}-${n}`).catch(failureKind);
    if (status === 'timeout' || status === 'connect') errors[status] += 1;
    else if (status !== 200) errors.non200 += 1;
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  const answered = turns - errors.non200 - errors.connect - errors.timeout;
  return {
    client: 'node', concurrency: 1, seconds: round(seconds), requests: turns, turns: answered,
    turnsPerSec: round(answered / seconds), latencyMs: summarize(latencies), errors,
  };
}

/** One request; resolves to its HTTP status (the body is read so the connection is reused). */
export async function postInbound(
  target: Pick<LoadTarget, 'baseUrl' | 'token'>, senderIndex: number, messageId: string, timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<number> {
  const response = await fetch(`${target.baseUrl}/v1/inbound?wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
    body: inboundBody(senderIndex, messageId),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer();
  return response.status;
}

function failureKind(error: unknown): 'timeout' | 'connect' {
  return error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'connect';
}

function summarize(latencies: number[]): LoadResult['latencyMs'] {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length);
  return { mean: round(mean), p50: at(50), p90: at(90), p99: at(99), max: round(sorted[sorted.length - 1] ?? 0) };
}

function runProcess(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} exited with ${code}:\n${output}`));
    });
  });
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
