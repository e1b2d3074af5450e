// Whether a stack's outputs are complete and up to date, judged by its sidecar alone: the sidecar
// is put in place last and records each output's SHA-256, each input's SHA-256, the options and
// the output plan. Batch runs (and the queue's workers) ask this before stacking, so a rerun
// redoes exactly the stacks whose outputs are missing, partial or stale, and never a complete one.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseStackOptions, type StackOptionsInput } from '../../../shared/options';
import { isAbortError } from '../errors';
import { findSliceFiles } from '../input/slices';
import { sha256File } from './hash';
import { resolvePlan, sidecarPathFor, type OutputPlan } from './output-plan';
import { canonicalJson, readSidecar, recordInputs, type Sidecar } from './sidecar';

/**
 * - 'up to date': every output is there and matches its sidecar, made from these inputs with these options.
 * - 'missing': no output of the plan is there (never stacked, or cleaned away).
 * - 'partial': some outputs are there, but not the whole set its sidecar describes (a file or the sidecar lost).
 * - 'stale': a whole set is there, but not this job's (inputs, options or outputs asked for changed, or
 *   a file was replaced since).
 */
export type StackOutputState = 'up to date' | 'missing' | 'partial' | 'stale';

export interface StackOutputStatus {
  state: StackOutputState;
  /** One line saying why, naming the file concerned (for logs and batch summaries). */
  reason: string;
  /** The sidecar, when one was read. */
  sidecar?: Sidecar;
}

export interface StackJobOutputs {
  /** The job's inputs as runStackJob takes them: folders and/or slice files. */
  inputs: string[];
  options: StackOptionsInput;
  plan: OutputPlan;
}

async function exists(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => undefined)) !== undefined;
}

/**
 * Whether the outputs `job` would write are all there, match the SHA-256s their sidecar records,
 * and were made from the same inputs (SHA-256) with the same options and output plan. Reads files
 * only; a run that died while putting its set in place is completed by the next runStackJob (or
 * recoverOutputFolder) in that folder, so call that first to count such a set as written.
 */
export async function checkStackOutputs(job: StackJobOutputs, signal?: AbortSignal): Promise<StackOutputStatus> {
  const plan = resolvePlan(job.plan);
  const sidecarFile = sidecarPathFor(plan.composite);
  const namedOutputs = [plan.composite, plan.indexMap, plan.confidenceMap, plan.depthMap, plan.heightMap, plan.focusMap, plan.heatmaps, plan.masked].filter((f): f is string => Boolean(f));
  if (!(await exists(sidecarFile))) {
    for (const file of namedOutputs) {
      if (await exists(file)) return { state: plan.sidecar ? 'partial' : 'stale', reason: plan.sidecar ? `${path.basename(file)} is there but its sidecar ${path.basename(sidecarFile)} is not` : 'written without a sidecar, so it cannot be proved complete' };
    }
    return { state: 'missing', reason: `${path.basename(plan.composite)} has not been written` };
  }
  let sidecar: Sidecar;
  try {
    sidecar = await readSidecar(sidecarFile);
  } catch (error) {
    return { state: 'partial', reason: (error as Error).message };
  }
  try {
    if (!sidecar.writtenFiles) {
      return { state: 'stale', reason: `${path.basename(sidecarFile)} records no output hashes (written by an older Deepfield)`, sidecar };
    }
    for (const record of sidecar.writtenFiles) {
      const stat = await fs.stat(record.file).catch(() => undefined);
      if (!stat) return { state: 'partial', reason: `${record.name} is missing`, sidecar };
    }
    if (canonicalJson(sidecar.options) !== canonicalJson(parseStackOptions(job.options))) {
      return { state: 'stale', reason: 'made with other options', sidecar };
    }
    if (canonicalJson(sidecar.outputs) !== canonicalJson(plan)) {
      return { state: 'stale', reason: 'made with other output settings', sidecar };
    }
    for (const record of sidecar.writtenFiles) {
      signal?.throwIfAborted();
      const stat = await fs.stat(record.file).catch(() => undefined);
      if (!stat || stat.size !== record.size || (await sha256File(record.file)) !== record.sha256) {
        return { state: 'stale', reason: `${record.name} does not match its sidecar (SHA-256 differs): it was replaced or cut short`, sidecar };
      }
    }
    const { files } = await findSliceFiles(job.inputs);
    const recorded = sidecar.files.map((r) => r.file);
    if (canonicalJson(recorded) !== canonicalJson(files)) {
      return { state: 'stale', reason: 'slices were added, removed or renamed since', sidecar };
    }
    const now = await recordInputs(files, signal);
    const changed = now.find((r, i) => r.size !== sidecar.files[i].size || r.sha256 !== sidecar.files[i].sha256);
    if (changed) return { state: 'stale', reason: `slice ${changed.name} changed since`, sidecar };
    return { state: 'up to date', reason: `matches ${path.basename(sidecarFile)}`, sidecar };
  } catch (error) {
    if (isAbortError(error)) throw error;
    // An unreadable input: stacking again reports the real problem.
    return { state: 'stale', reason: (error as Error).message.split('\n')[0], sidecar };
  }
}
