import { readdir } from "node:fs/promises";
import path from "node:path";

const checkpointFolder = /^step-(\d+)$/;

/**
 * The trainer's checkpoint folders in a run's folder (`checkpoints/step-N`), newest first; none
 * when the run has no checkpoints or its folder is not on this machine.
 */
export async function listCheckpointFolders(runDir: string): Promise<{ step: number; name: string }[]> {
  const names = await readdir(path.join(runDir, "checkpoints")).catch(() => [] as string[]);
  return names
    .flatMap((name) => {
      const m = checkpointFolder.exec(name);
      return m ? [{ step: Number(m[1]), name }] : [];
    })
    .sort((a, b) => b.step - a.step);
}
