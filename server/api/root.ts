import { acquisitionRouter } from "../acquisition/router";
import { annotationRouter } from "../annotation/router";
import { auditRouter } from "../audit/router";
import { evaluationRouter } from "../evaluation/router";
import { healthRouter } from "../health/router";
import { importsRouter } from "../import/router";
import { inboxRouter } from "../inbox/router";
import { jobsRouter } from "../jobs/router";
import { loopRouter } from "../loop/router";
import { modelsRouter } from "../models/router";
import { projectsRouter } from "../projects/router";
import { apiKeysRouter, exportsRouter } from "../export/router";
import { forecastRouter } from "../forecast/router";
import { feedbackRouter } from "../feedback/router";
import { redTeamRouter } from "../red-team/router";
import { governanceRouter } from "../governance/router";
import { reviewRouter } from "../review/router";
import { runsRouter } from "../runs/router";
import { meRouter } from "../users/me-router";
import { usersRouter } from "../users/router";
import { workersRouter } from "../workers/router";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  health: healthRouter,
  me: meRouter,
  users: usersRouter,
  projects: projectsRouter,
  jobs: jobsRouter,
  runs: runsRouter,
  models: modelsRouter,
  evaluation: evaluationRouter,
  loop: loopRouter,
  acquisition: acquisitionRouter,
  forecast: forecastRouter,
  annotation: annotationRouter,
  inbox: inboxRouter,
  imports: importsRouter,
  review: reviewRouter,
  redTeam: redTeamRouter,
  feedback: feedbackRouter,
  exports: exportsRouter,
  apiKeys: apiKeysRouter,
  workers: workersRouter,
  audit: auditRouter,
  governance: governanceRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
