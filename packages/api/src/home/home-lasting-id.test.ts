import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimGatewayHolder, claimLastingId } from './home-lasting-id';

describe('lasting ids in SB_HOME', () => {
  let home = '';
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'sb-holder-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('keeps one holder id per home in a private file, the same after a restart', async () => {
    const first = await claimGatewayHolder(home, () => undefined);
    expect(first).toMatchObject({ lasting: true });
    expect(first.id).toMatch(/^[\x21-\x7e]{20,200}$/);
    expect(statSync(join(home, 'gateway-holder')).mode & 0o777).toBe(0o600);
    first.release();
    const second = await claimGatewayHolder(home, () => undefined);
    expect(second).toMatchObject({ id: first.id, lasting: true });
    second.release();
    const otherHome = mkdtempSync(join(tmpdir(), 'sb-holder-other-'));
    const elsewhere = await claimGatewayHolder(otherHome, () => undefined);
    expect(elsewhere.id).not.toBe(first.id);
    elsewhere.release();
    rmSync(otherHome, { recursive: true, force: true });
  });

  it('gives a second live process on the same home an id of its own, and says so', async () => {
    const running = await claimGatewayHolder(home, () => undefined);
    const lines: string[] = [];
    const second = await claimGatewayHolder(home, (line) => lines.push(line));
    expect(second.lasting).toBe(false);
    expect(second.id).not.toBe(running.id);
    expect(lines.join('\n')).toMatch(/one-off gateway-holder .*in use/);
    running.release();
    const after = await claimGatewayHolder(home, () => undefined);
    expect(after).toMatchObject({ id: running.id, lasting: true });
    after.release();
  });

  it('keeps the turn worker\'s id apart from the gateway\'s', async () => {
    const holder = await claimGatewayHolder(home, () => undefined);
    const worker = await claimLastingId(home, 'turn-worker-id', () => undefined);
    expect(worker.lasting).toBe(true);
    expect(worker.id).not.toBe(holder.id);
    expect(statSync(join(home, 'turn-worker-id')).mode & 0o777).toBe(0o600);
    holder.release();
    worker.release();
  });
});
