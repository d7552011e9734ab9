/**
 * The filesystem and namespaces of the CLI sandbox, as a bubblewrap argv (never a shell string):
 * new user, pid, net, ipc, uts and cgroup namespaces, every capability dropped (we may run as root),
 * a new session (no TIOCSTI), an empty root with the system read-only (/usr, the /bin-style links,
 * the /etc files a CLI needs), fresh /proc, /dev and /tmp, the CLI's install directory and the given
 * paths read-only, the turn's own paths read-write (their parents unlistable), the proxy's socket.
 * Inside, a fixed script bridges 127.0.0.1:3128 to it and `exec "$@"`s the CLI, argv never parsed.
 */
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, sep } from 'node:path';

/** Where the proxy's bridge socket appears inside the sandbox, and the port it is served on there. */
export const SANDBOX_PROXY_SOCKET = '/run/switchboard/proxy.sock';
export const SANDBOX_PROXY_PORT = 3128;

export interface BwrapSpec {
  /** The CLI, an absolute path (its install directory is made readable). */
  bin: string;
  args: string[];
  /** The working directory inside the sandbox. */
  cwd: string;
  writable: string[];
  readable: string[];
  /** The host's end of the proxy bridge. */
  proxySocket: string;
  /** socat on the host (an absolute path; /usr is visible inside). */
  socat: string;
}

const SYSTEM_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC = [
  '/etc/ssl', '/etc/ca-certificates', '/etc/pki', '/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/passwd',
  '/etc/group', '/etc/localtime', '/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d',
];
const PORT_HEX = SANDBOX_PROXY_PORT.toString(16).toUpperCase().padStart(4, '0');

/** Starts the proxy bridge, waits (at most 2 s) until it listens, then runs the CLI with its argv untouched. */
const LAUNCHER = [
  `"$SB_SOCAT" TCP-LISTEN:${SANDBOX_PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${SANDBOX_PROXY_SOCKET} >/dev/null 2>&1 &`,
  `i=0; while [ $i -lt 400 ] && ! grep -q ':${PORT_HEX} 00000000:0000 0A' /proc/net/tcp; do sleep 0.005; i=$((i+1)); done`,
  'unset SB_SOCAT PWD OLDPWD',
  'exec "$@"',
].join('\n');

/** The namespaces and the read-only system every sandbox starts from. */
export function bwrapBaseArgs(): string[] {
  return [
    '--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
    '--ro-bind', '/usr', '/usr', ...SYSTEM_LINKS.flatMap(systemLink), ...ETC.flatMap((path) => ['--ro-bind-try', path, path]),
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
  ];
}

export function bwrapArgs(spec: BwrapSpec): string[] {
  const readable = [...installDirs(spec.bin), ...spec.readable, ...(spec.socat.startsWith('/usr/') ? [] : [dirname(spec.socat)])];
  return [
    ...bwrapBaseArgs(),
    ...hiddenParents([...readable, ...spec.writable]).flatMap((path) => ['--perms', '0111', '--dir', path]),
    ...readable.flatMap((path) => ['--ro-bind', path, path]),
    ...spec.writable.flatMap((path) => ['--bind', path, path]),
    '--bind', spec.proxySocket, SANDBOX_PROXY_SOCKET,
    '--setenv', 'SB_SOCAT', spec.socat,
    '--chdir', spec.cwd,
    '--', '/bin/sh', '-c', LAUNCHER, 'switchboard-sandbox', realpathSync(spec.bin), ...spec.args,
  ];
}

/**
 * The directories above the bound paths exist inside only as mount points: they are made
 * traversable but not listable (0111; no capability overrides that), so `ls $SB_HOME` shows nothing.
 */
function hiddenParents(paths: string[]): string[] {
  const parents = paths.flatMap((path) => {
    const chain: string[] = [];
    for (let dir = dirname(path); dir !== '/' && dir !== '/tmp' && !dir.startsWith('/usr/') && dir !== '/usr'; dir = dirname(dir)) chain.push(dir);
    return chain;
  });
  return [...new Set(parents)].sort((a, b) => a.length - b.length);
}

/** /bin and friends as the host has them: a link into /usr, or a directory bound read-only. */
function systemLink(path: string): string[] {
  if (!existsSync(path)) return [];
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return ['--symlink', readlinkSync(path), path];
  return stat.isDirectory() ? ['--ro-bind', path, path] : [];
}

/**
 * The CLI's install directory: the directory of the resolved binary, and the package it belongs
 * to when it was installed by npm (`…/node_modules/[@scope/]name`, with its own dependencies).
 */
export function installDirs(bin: string): string[] {
  const real = realpathSync(bin);
  const dirs = [dirname(real)];
  const parts = real.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0 && at + 1 < parts.length - 1) {
    const scoped = parts[at + 1]?.startsWith('@') ? 2 : 1;
    if (at + scoped < parts.length - 1) dirs.push(parts.slice(0, at + scoped + 1).join(sep) || sep);
  }
  return [...new Set(dirs)].filter((dir) => !dir.startsWith('/usr/'));
}
