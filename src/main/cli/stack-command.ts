// `deepfield stack`: one stack job from the command line, outputs checked before any work and
// written atomically after it, with its provenance sidecar; `--replay <sidecar>` reruns a
// recorded job once its inputs are proved unchanged.
import path from 'node:path';
import { type AlignMethod, type MergeMethod, type RawColour, type StackOptions, type StackOptionsInput, withDefaults } from '../../shared/options';
import type { Retouch } from '../../shared/retouch';
import { DeepfieldError, type Engine, type JobOutcome, type OutputPlan, readRetouchFile, readSidecar, runStackJob, verifyInputs } from '../engine';
import { planFromStackFlags, type OutputFlags } from './output-options';
import { createProgressReporter } from './progress';

export interface StackCommandOptions extends OutputFlags {
  output?: string;
  replay?: string;
  sigma: number;
  method?: MergeMethod;
  align?: AlignMethod;
  reference?: number;
  brightness?: boolean;
  keepSize?: boolean;
  limitInputPixels?: number;
  rawColour?: RawColour;
  /** A strokes file to paint onto the composite from the source slices. */
  retouch?: string;
  /** Where to write the confidence map (stack only). */
  confidenceMap?: string;
  json?: boolean;
  overwrite?: boolean;
}

/**
 * The stack job's own options from the command line (shared by stack and batch). Each flag was
 * checked as it was read (cli.ts, by shared/options.ts's schema); what no flag says is the
 * schema's default.
 */
export function stackOptionsFromFlags(opts: { sigma: number; method?: MergeMethod; align?: AlignMethod; reference?: number; brightness?: boolean; keepSize?: boolean; rawColour?: RawColour; limitInputPixels?: number }): StackOptions {
  const { sigma, method, align, reference, brightness, keepSize, rawColour, limitInputPixels } = opts;
  return withDefaults({ sigma, method, align, reference, brightness, keepSize, rawColour, limitInputPixels });
}

/** A recorded plan written elsewhere: the composite moved to `output`, the other files beside it. */
function replanBeside(plan: OutputPlan, output: string): OutputPlan {
  const dir = path.dirname(path.resolve(output));
  const move = (p?: string) => (p === undefined ? undefined : path.join(dir, path.basename(p)));
  return {
    ...plan,
    composite: path.resolve(output),
    indexMap: move(plan.indexMap),
    confidenceMap: move(plan.confidenceMap),
    depthMap: move(plan.depthMap),
    heightMap: move(plan.heightMap),
    heatmaps: move(plan.heatmaps),
    focusMap: move(plan.focusMap),
    masked: move(plan.masked),
  };
}

export async function runStackCommand(
  engine: Engine,
  inputs: string[],
  opts: StackCommandOptions,
  signal: AbortSignal,
): Promise<void> {
  const job = opts.replay ? await jobFromSidecar(opts.replay, inputs, opts, signal) : await jobFromFlags(inputs, opts);
  // Written with the other outputs, as one set (a replay's own plan may name one already).
  const plan = opts.confidenceMap ? { ...job.plan, confidenceMap: opts.confidenceMap } : job.plan;

  const progress = createProgressReporter();
  let outcome;
  try {
    outcome = await runStackJob(engine, {
      inputs: job.inputs,
      options: job.options,
      plan,
      overwrite: opts.overwrite,
      signal,
      onProgress: (p) => progress.update(p),
      retouch: job.retouch,
    });
  } finally {
    progress.stop();
  }
  reportNotices(outcome, signal);
  if (opts.json) process.stdout.write(JSON.stringify(jsonSummary(outcome, plan), null, 2) + '\n');
  else process.stderr.write(wroteLine(outcome, plan));
}

/** What one `deepfield stack` runs: from the flags, or as recorded in a sidecar. */
interface StackCommandJob {
  inputs: string[];
  options: StackOptionsInput;
  plan: OutputPlan;
  retouch: Retouch | undefined;
}

async function jobFromFlags(inputs: string[], opts: StackCommandOptions): Promise<StackCommandJob> {
  if (!opts.output) throw new DeepfieldError('No output given: pass -o <file> (or --replay <sidecar>)');
  if (inputs.length === 0) throw new DeepfieldError('No input given: name a folder of slices or the slice files');
  return {
    inputs,
    options: stackOptionsFromFlags(opts),
    plan: planFromStackFlags(opts, opts.output),
    retouch: opts.retouch ? await readRetouchFile(opts.retouch) : undefined,
  };
}

/** `--replay`: the recorded job, once its inputs are proved unchanged; only the output may move. */
async function jobFromSidecar(replay: string, inputs: string[], opts: StackCommandOptions, signal: AbortSignal): Promise<StackCommandJob> {
  if (inputs.length > 0) throw new DeepfieldError('--replay takes its inputs from the sidecar: give no inputs with it', replay);
  if (opts.retouch) throw new DeepfieldError('--replay takes its strokes from the sidecar: give no --retouch with it', opts.retouch);
  const sidecar = await readSidecar(replay);
  await verifyInputs(sidecar, signal);
  return {
    inputs: sidecar.inputs,
    options: sidecar.options,
    retouch: sidecar.retouch,
    plan: opts.output ? replanBeside(sidecar.outputs, opts.output) : sidecar.outputs,
  };
}

/** What the user should know beside the outputs: recovered runs, skipped slices, alignment. */
function reportNotices(outcome: JobOutcome, signal: AbortSignal): void {
  const { result } = outcome;
  for (const file of outcome.recovered.completed) process.stderr.write(`completed ${file}, which an interrupted run had begun to put in place\n`);
  if (outcome.recovered.removed.length > 0) process.stderr.write(`removed ${outcome.recovered.removed.length} temporary file(s) of interrupted runs\n`);
  if (signal.aborted) {
    // The interrupt came while the outputs were being put in place, a step that is never cut in two.
    process.stderr.write('interrupted after the outputs were complete: they are kept (nothing is half written)\n');
  }

  for (const s of result.skipped) process.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
  for (const notice of result.notices) process.stderr.write(`note: ${notice}\n`);
  for (const s of result.alignment?.slices ?? []) {
    if (s.status === 'failed') process.stderr.write(`warning: ${s.name} left unaligned: ${s.reason}\n`);
  }
  if (result.alignment) process.stderr.write(`alignment: ${result.alignment.summary}\n`);
}

/** `--json`: the job's facts for scripts, on stdout. */
function jsonSummary({ result, writeMs, files, sidecarFile }: JobOutcome, plan: OutputPlan) {
  return {
    slices: result.slices.length,
    width: result.layout.width,
    height: result.layout.height,
    channels: result.layout.channels,
    bitDepth: result.layout.bitDepth,
    options: result.options,
    outputs: { composite: path.resolve(plan.composite), indexMap: plan.indexMap ? path.resolve(plan.indexMap) : null },
    written: files,
    sidecar: sidecarFile ?? null,
    skipped: result.skipped,
    stats: result.stats.map((s, i) => ({ ...s, file: result.slices[i].file, page: result.slices[i].page ?? null })),
    timings: { ...result.timings, writeMs, totalMs: result.timings.totalMs + writeMs },
    focusKernel: result.focusKernel,
    alignment: result.alignment ?? null,
  };
}

function wroteLine({ result, writeMs, files }: JobOutcome, plan: OutputPlan): string {
  return (
    `wrote ${plan.composite} (${result.layout.width}x${result.layout.height}, ${result.layout.bitDepth}-bit, ` +
    `${result.slices.length} slices) in ${((result.timings.totalMs + writeMs) / 1000).toFixed(1)}s` +
    (files.length > 1 ? ` and ${files.length - 1} more file(s)` : '') +
    '\n'
  );
}
