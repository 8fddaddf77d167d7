// Request limits shared by the tRPC route and its client.

/**
 * Procedure calls one HTTP request may batch. The console's pages batch a handful; without a cap one
 * anonymous GET naming `health.check` a thousand times would cost thousands of queries.
 */
export const maxTrpcBatchSize = 20;
