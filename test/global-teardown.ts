/** Stops the throwaway PostgreSQL clusters and removes the run's temp files. */
import { rmSync } from 'node:fs';
import { stopPostgresCluster } from './postgres-cluster';

export default async function globalTeardown(): Promise<void> {
  for (const cluster of [process.env.SB_TEST_SUPABASE_CLUSTER, process.env.SB_TEST_PG_CLUSTER]) {
    if (cluster) stopPostgresCluster(JSON.parse(cluster) as { baseDir: string; binDir: string });
  }
  const workDir = process.env.SB_TEST_WORK_DIR;
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}
