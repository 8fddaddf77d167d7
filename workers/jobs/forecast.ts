import { readFile } from "node:fs/promises";
import path from "node:path";
import { ZForecast } from "../../server/forecast/forecast-result";
import { jobKinds } from "../../server/jobs/kinds";
import { snapshotModelConfig } from "../../server/training/trainer-config";
import { trainerJobHandler } from "../training/trainer-job";

const outputFileName = "forecast.json";

/**
 * Trains the nested-subset reward models and fits the forecast. The subset models are scratch (no
 * versions); forecast.json stays in the run's folder as its artifact and is copied into the job's
 * result, where the run page and the project page read it.
 */
export const forecastHandler = trainerJobHandler(jobKinds.forecast, {
  command: "forecast",
  config: ({ payload, inputs, outputDir }) =>
    snapshotModelConfig({ snapshotFile: inputs.snapshot.file, snapshotFormat: inputs.snapshot.format, modelDir: inputs.base.dir, outputDir }, payload.config),
  register: async (run) => {
    const text = await readFile(path.join(run.outputDir, outputFileName), "utf8");
    // Checked here so a result the pages cannot read fails the run instead of showing nothing.
    const forecast = ZForecast.parse(JSON.parse(text));
    return {
      projectId: run.inputs.snapshot.projectId,
      snapshotId: run.inputs.snapshot.id,
      baseModelId: run.inputs.base.id,
      forecast: JSON.parse(text) as unknown,
      points: forecast.points.length,
      output: `${run.outputRel}/${outputFileName}`,
    };
  },
});
