/**
 * The crash suite's numbers: for each kill, how much was in flight and how soon the restarted
 * server polled Telegram and delivered again (from its listening line, counting only what it did
 * before the next kill); then one printable block with the verdict's counts and the timeline.
 */
import type { ServerProcess } from '../server-process';
import { describeFirstCopy, type CrashKill, type CrashVerdict } from './crash-verdict';

/** The targets after `kill -9` and a restart, from the restarted server's listening line. */
export const POLL_TARGET_MS = 5_000;
export const DELIVERY_TARGET_MS = 10_000;

export interface CrashRestart extends CrashKill {
  /** What the kill struck right after. */
  moment: string;
  /** Replies sent and messages still unanswered when the kill struck. */
  sentBefore: number;
  unanswered: number;
  listeningAt: number;
  /** The restarted server. */
  server: ServerProcess;
}

export interface RestartTimings {
  pollMs: number | undefined;
  deliveryMs: number | undefined;
}

/** From each restarted server's listening line to its first getUpdates and its first sendMessage. */
export function timeRestarts(restarts: CrashRestart[], record: { polledAt: number[]; sentAt: number[] }): RestartTimings[] {
  return restarts.map((restart, i) => {
    // The next kill strikes right after a moment it saw, often within the same millisecond: that moment is still this server's.
    const until = restarts[i + 1]?.killedAt ?? Infinity;
    const since = (times: number[]) => {
      const first = times.find((at) => at >= restart.exitedAt && at <= until);
      return first === undefined ? undefined : first - restart.listeningAt;
    };
    return { pollMs: since(record.polledAt), deliveryMs: since(record.sentAt) };
  });
}

export function isSlowRestart(timing: RestartTimings): boolean {
  return (timing.pollMs ?? Infinity) > POLL_TARGET_MS || (timing.deliveryMs ?? Infinity) > DELIVERY_TARGET_MS;
}

export function slowRestarts(timings: RestartTimings[]): string[] {
  return timings.flatMap((t, i) =>
    isSlowRestart(t) ? [`restart ${i + 1}: first getUpdates ${t.pollMs ?? 'never'} ms, first delivery ${t.deliveryMs ?? 'never'} ms after listening`] : []);
}

export interface CrashRun {
  engine: string;
  senders: number;
  verdict: CrashVerdict;
  restarts: CrashRestart[];
  timings: RestartTimings[];
  startedAt: number;
  answeredAt: number;
  pending: number | string;
  conflicts: number;
}

export function formatCrashReport(run: CrashRun): string {
  const { verdict, restarts, timings } = run;
  const at = (time: number) => `+${((time - run.startedAt) / 1000).toFixed(1)} s`;
  const inside = verdict.duplicates.filter((d) => d.isInsideWindow).length;
  return [
    `crash suite [${run.engine}]: ${verdict.messages} messages from ${run.senders} senders, ${restarts.length} × SIGKILL and restart; ` +
      `${verdict.lost.length === 0 ? 'all answered' : 'stopped waiting for answers'} at ${at(run.answeredAt)}`,
    `  answered ${verdict.answered}, lost ${verdict.lost.length}, out of order ${verdict.outOfOrder.length}, misrouted ${verdict.misrouted.length}, ` +
      `duplicates ${verdict.duplicates.length} (${inside} inside the window); still pending in the outbox: ${run.pending}; 409 conflicts: ${run.conflicts}`,
    ...restarts.map((restart, i) =>
      `  kill ${i + 1} at ${at(restart.killedAt)} as ${restart.moment}, after ${restart.sentBefore} replies, ${restart.unanswered} messages unanswered; ` +
      `listening again after ${restart.listeningAt - restart.exitedAt} ms, then first getUpdates +${timings[i]?.pollMs ?? 'never'} ms, ` +
      `first delivery +${timings[i]?.deliveryMs ?? 'never'} ms`),
    ...verdict.duplicates.map((d) => `  duplicate ${d.text}: first copy ${describeFirstCopy(d)}${d.isInsideWindow ? '' : ' (outside the window)'}`),
  ].join('\n');
}

/** The logs that explain a failure: every slow restart's server, and the last one. */
export function failureLogs(restarts: CrashRestart[], timings: RestartTimings[], last: ServerProcess): string {
  const slow = restarts.filter((_, i) => isSlowRestart(timings[i] ?? { pollMs: undefined, deliveryMs: undefined }));
  const shown = [...new Set([...slow.map((restart) => restart.server), last])];
  return shown.map((server) => `${server.name}, log tail:\n${server.stderr.slice(-3000)}`).join('\n\n');
}
