/**
 * Where the CPU went during a run, from /proc (Linux only; elsewhere every figure is null): the
 * server process, the PostgreSQL processes (postmaster and its children), and the whole machine,
 * so "other" = load client + anything else running. Seconds of CPU over the run's wall time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

export interface CpuSample {
  server: number;
  postgres: number;
  busy: number;
  total: number;
}

/** CPU seconds used in the window, and per turn in milliseconds. */
export interface CpuUsage {
  serverS: number;
  postgresS: number;
  otherS: number;
  idleS: number;
  serverMsPerTurn: number;
  postgresMsPerTurn: number;
}

const TICKS_PER_SECOND = readTicksPerSecond();

export function sampleCpu(serverPid: number | undefined, postmasterPid: number | undefined): CpuSample | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const machine = machineTicks();
  return {
    server: serverPid === undefined ? 0 : processTicks(serverPid),
    postgres: postmasterPid === undefined ? 0 : familyTicks(postmasterPid),
    busy: machine.busy,
    total: machine.total,
  };
}

export function cpuBetween(before: CpuSample | undefined, after: CpuSample | undefined, turns: number): CpuUsage | null {
  if (!before || !after) return null;
  const s = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND) * 100) / 100;
  const server = after.server - before.server;
  const postgres = after.postgres - before.postgres;
  const busy = after.busy - before.busy;
  const idle = after.total - before.total - busy;
  const perTurn = (ticks: number) => Math.round(((ticks / TICKS_PER_SECOND) * 1000 / Math.max(1, turns)) * 1000) / 1000;
  return {
    serverS: s(server), postgresS: s(postgres), otherS: s(Math.max(0, busy - server - postgres)), idleS: s(idle),
    serverMsPerTurn: perTurn(server), postgresMsPerTurn: perTurn(postgres),
  };
}

/** The postmaster's pid, from the first line of `<dataDir>/postmaster.pid`. */
export function readPostmasterPid(dataDir: string): number | undefined {
  const path = `${dataDir}/postmaster.pid`;
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** utime + stime of one process (0 once it is gone). Fields after the `(comm)` start at state. */
function processTicks(pid: number): number {
  const stat = readStat(pid);
  return stat ? stat.utime + stat.stime : 0;
}

/**
 * A process and its children (PostgreSQL backends are children of the postmaster): its own time,
 * its live children's, and the time of children that ended and were reaped (cutime + cstime), so
 * a backend that exits during a run moves from one term to another instead of vanishing.
 */
function familyTicks(pid: number): number {
  const root = readStat(pid);
  let ticks = root ? root.utime + root.stime + root.cutime + root.cstime : 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.ppid === pid) ticks += stat.utime + stat.stime;
  }
  return ticks;
}

function readStat(pid: number): { ppid: number; utime: number; stime: number; cutime: number; cstime: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
  return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]), cutime: Number(rest[13]), cstime: Number(rest[14]) };
}

function readTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { stdio: 'pipe' }).toString().trim()) || 100;
  } catch {
    return 100;
  }
}

/** The resident set size of a process in MB (VmRSS), or undefined where /proc has no such process. */
export function residentMb(pid: number | undefined): number | undefined {
  const path = `/proc/${pid}/status`;
  if (pid === undefined || !existsSync(path)) return undefined;
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(path, 'utf8'))?.[1];
  return kb === undefined ? undefined : Math.round(Number(kb) / 102.4) / 10;
}
