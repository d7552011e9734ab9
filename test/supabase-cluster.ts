/**
 * A PostgreSQL cluster shaped like a Supabase project, without Docker: bootstrap superuser
 * `supabase_admin`; `postgres` a non-superuser with CREATEROLE and BYPASSRLS whose search_path is
 * `"$user", public, extensions`; anon, authenticated, service_role (BYPASSRLS); pg_trgm in schema
 * `extensions`, whose USAGE only Supabase's roles have; and Supabase's default privileges, which
 * grant anon, authenticated and service_role every new table, function and sequence in public.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, startPostgresCluster, type PostgresCluster } from './postgres-cluster';

/** The schema owner of a Supabase project: its `postgres` role, which is not a superuser there. */
export const SUPABASE_OWNER = 'postgres';

/** Roles, once per cluster (as in Supabase's initial schema). */
const CLUSTER_SQL = `
  create role ${SUPABASE_OWNER} login createrole createdb bypassrls;
  alter role ${SUPABASE_OWNER} set search_path = "$user", public, extensions;
  create role anon nologin noinherit;
  create role authenticated nologin noinherit;
  create role service_role nologin noinherit bypassrls;
  create role authenticator login noinherit;
  grant anon, authenticated, service_role to authenticator;
`;

/** Schemas, extensions and default privileges, in template1 so that every new database has them. */
const DATABASE_SQL = `
  create schema extensions;
  create extension pg_trgm with schema extensions;
  grant usage on schema extensions to ${SUPABASE_OWNER} with grant option;
  grant usage on schema extensions to anon, authenticated, service_role;
  grant usage on schema public to ${SUPABASE_OWNER}, anon, authenticated, service_role;
  grant all on schema public to ${SUPABASE_OWNER};
  alter default privileges in schema public grant all on tables to ${SUPABASE_OWNER}, anon, authenticated, service_role;
  alter default privileges in schema public grant all on functions to ${SUPABASE_OWNER}, anon, authenticated, service_role;
  alter default privileges in schema public grant all on sequences to ${SUPABASE_OWNER}, anon, authenticated, service_role;
  alter default privileges for role ${SUPABASE_OWNER} in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges for role ${SUPABASE_OWNER} in schema public grant all on functions to anon, authenticated, service_role;
  alter default privileges for role ${SUPABASE_OWNER} in schema public grant all on sequences to anon, authenticated, service_role;
`;

/** Starts the cluster; its url is supabase_admin's. */
export async function startSupabaseCluster(binDir: string): Promise<PostgresCluster> {
  const cluster = startPostgresCluster(binDir, 'supabase_admin');
  await withClient(cluster.url, (client) => client.query(CLUSTER_SQL));
  await withClient(databaseUrl(cluster.url, 'template1'), (client) => client.query(DATABASE_SQL));
  return cluster;
}

/**
 * A new database of the cluster (a copy of `template`, else empty but Supabase-shaped) and the
 * owner's connection string for it, as a Supabase project hands it out.
 */
export async function createSupabaseDatabase(adminUrl: string, template?: string): Promise<{ ownerUrl: string; name: string; drop: () => Promise<void> }> {
  const name = `sb_supa_${randomUUID().replaceAll('-', '')}`;
  await withClient(adminUrl, async (client) => {
    await client.query(template ? `create database ${name} template ${template}` : `create database ${name}`);
    await client.query(`grant create, connect, temporary on database ${name} to ${SUPABASE_OWNER}`);
  });
  const drop = () => withClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined);
  return { ownerUrl: ownerUrl(adminUrl, name), name, drop };
}

export function ownerUrl(adminUrl: string, database: string): string {
  const url = new URL(databaseUrl(adminUrl, database));
  url.username = SUPABASE_OWNER;
  return url.toString();
}

export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
