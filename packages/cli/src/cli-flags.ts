/**
 * Flags and arguments are a boundary: each is parsed with zod, with the shared schemas where they
 * exist, and a bad one becomes one `invalid_input` AppError that names the flag (`--dm-policy: …`).
 */
import { z } from 'zod';
import { AppError, Channel, ExternalId, RateLimit, type ContactId } from '@switchboard/shared';
import { IdText, type ContactDirectory } from './cli-id-prefix';

/** Parses commander's option values; issue paths are option keys, reported as `--kebab-case`. */
export function parseFlags<S extends z.ZodType>(schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues.map((issue) => describeIssue(issue, flagName(issue.path))).join('; ');
  throw new AppError('invalid_input', message);
}

/** Parses one positional argument, named in the message (`contact id: Invalid UUID`). */
export function parseArgument<S extends z.ZodType>(schema: S, value: unknown, name: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues.map((issue) => describeIssue(issue, [name, ...issue.path.map(String)].join('.'))).join('; ');
  throw new AppError('invalid_input', message);
}

function describeIssue(issue: z.core.$ZodIssue, subject: string | undefined): string {
  return subject ? `${subject}: ${issue.message}` : issue.message;
}

function flagName(path: PropertyKey[]): string | undefined {
  const key = path[0];
  if (typeof key !== 'string') return undefined;
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** An http(s) URL of a Switchboard server. */
export const ServerUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** A TCP port given as text; 0 lets the system pick one. */
export const PortText = z
  .string()
  .regex(/^\d{1,5}$/, 'expected a port number')
  .transform(Number)
  .pipe(z.number().int().max(65535, 'expected a port number up to 65535'));

/** `<channel>:<id>`, e.g. `telegram:123` or `telegram:-100123` for a group. */
export const Address = z.string().transform((value, ctx) => {
  const colon = value.indexOf(':');
  if (colon <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected <channel>:<id>, e.g. telegram:123 (got "${value}")` });
    return z.NEVER;
  }
  const channel = Channel.safeParse(value.slice(0, colon));
  if (!channel.success) {
    ctx.addIssue({ code: 'custom', message: `unknown channel "${value.slice(0, colon)}" (one of ${Channel.options.join(', ')})` });
    return z.NEVER;
  }
  const id = ExternalId.safeParse(value.slice(colon + 1));
  if (!id.success) {
    ctx.addIssue({ code: 'custom', message: `bad id "${value.slice(colon + 1)}": ${id.error.issues[0]?.message ?? 'invalid'}` });
    return z.NEVER;
  }
  return { channel: channel.data, id: id.data };
});
export type Address = z.infer<typeof Address>;

/** `<burst>/<perMinute>`, e.g. `30/30`. */
export const RateLimitText = z
  .string()
  .regex(/^\d+\/\d+(\.\d+)?$/, 'expected <burst>/<perMinute>, e.g. 30/30')
  .transform((value) => {
    const [burst, perMinute] = value.split('/');
    return { burst: Number(burst), perMinute: Number(perMinute) };
  })
  .pipe(RateLimit);

/** `--contact <id or prefix>` or `--owner`: whose data a command is about. */
export const WhoseShape = { contact: IdText.optional(), owner: z.boolean().optional() };

export type Whose = ContactId | 'owner';

/** The `--contact`/`--owner` choice as typed (a contact id or prefix, or `owner`), or undefined when neither was given. */
export function whoseOf(flags: { contact?: string | undefined; owner?: boolean | undefined }): string | undefined {
  if (flags.contact !== undefined && flags.owner) {
    throw new AppError('invalid_input', '--contact and --owner cannot be combined');
  }
  return flags.owner ? 'owner' : flags.contact;
}

/** The `--contact`/`--owner` choice with a contact prefix resolved to its full id. */
export async function resolveWhose(contacts: ContactDirectory, whose: string | undefined): Promise<Whose | undefined> {
  return whose === undefined || whose === 'owner' ? whose : contacts.resolve(whose);
}
