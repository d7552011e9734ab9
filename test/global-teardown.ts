/** Stops the throwaway PostgreSQL cluster and removes the run's temp files. */
import { rmSync } from 'node:fs';
import { stopPostgresCluster } from './postgres-cluster';

export default async function globalTeardown(): Promise<void> {
  const cluster = process.env.SB_TEST_PG_CLUSTER;
  if (cluster) stopPostgresCluster(JSON.parse(cluster) as { baseDir: string; binDir: string });
  const workDir = process.env.SB_TEST_WORK_DIR;
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}
