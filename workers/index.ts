// The worker daemon: `npm run worker`. Claims jobs from the shared queue until SIGTERM/SIGINT.
import { getEnv } from "../server/env";
import { logger } from "../server/logger";
import { startWorker } from "./worker";

const env = getEnv();
const worker = await startWorker({ databaseUrl: env.DATABASE_URL, workerId: process.env.WORKER_ID });

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping worker");
    worker.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "worker did not stop cleanly");
        process.exit(1);
      },
    );
  });
}
