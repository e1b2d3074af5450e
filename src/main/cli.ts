// The `deepfield` command line: the engine without Electron, for batch work and scripts.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import sharp from 'sharp';
import { DEFAULT_STACK_OPTIONS, describeExpected, type OptionWithValue, parseOptionText, RAW_COLOURS, type StackOptions } from '../shared/options';
import { CancelledError, closeMetadataTool, Engine, isAbortError, rollBackOpenOutputsSync } from './engine';
import { runStackCommand } from './cli/stack-command';
import { addOutputOptions } from './cli/output-options';
import { registerBatchCommand } from './cli/batch-command';
import { addManyMachinesOptions, type ManyMachinesOptions, runBatchMode } from './cli/many-machines';
import { registerWorkerCommand, runWorkerCommand } from './cli/queue/worker-command';
import { registerServeCommand } from './cli/serve-command';

// The main thread only probes headers while workers stack, then encodes the outputs while the
// workers are idle: let libvips use every core for that (sharp defaults to one thread on glibc).
sharp.concurrency(os.availableParallelism());

const WORKER_FILE = fileURLToPath(new URL('./slice-worker.js', import.meta.url));

function parseNumber(parameter: string, check: (n: number) => boolean, expected: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(describeExpected(expected, parameter, value));
    return n;
  };
}

/** A job option's flag parser: the value, its limits and its refusal are shared/options.ts's. */
function optionParser<K extends OptionWithValue>(key: K, flag?: string) {
  return (text: string): StackOptions[K] => {
    try {
      return parseOptionText(key, text, flag);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

/**
 * The first SIGINT, SIGTERM or SIGHUP cancels the run (the returned controller's signal); a second
 * one stops at once, taking back the outputs not yet in place.
 */
function cancelOnSignals(): AbortController {
  const controller = new AbortController();
  // A closed terminal (SIGHUP) or a closed pipe makes writes to it fail: that must not stop the
  // clean-up the signal asks for.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // Outputs are put in place in one synchronous step, so this never runs halfway through it:
      // a set is either in place already (and stays) or still under temporary names (removed now).
      const removed = rollBackOpenOutputsSync();
      process.stderr.write(`\ndeepfield: stopped at once (${name})${removed > 0 ? ': outputs not yet in place were removed, none is half written' : ''}\n`);
      process.exit(130);
    }
    process.stderr.write(`\ncancelling (${name}; press Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, onSignal);
  return controller;
}

/** The stack job's own flags (batch copies them): values, limits and defaults from shared/options.ts. */
function addJobOptions(command: Command): void {
  command
    .option('--sigma <px>', 'Gaussian sigma of the local-variance focus measure, in pixels', optionParser('sigma'), DEFAULT_STACK_OPTIONS.sigma)
    .option('--method <name>', `how slices are merged: argmax (each pixel from its sharpest slice), smooth (undecided pixels follow confident neighbours, flat areas average), pyramid (smooth's choice blended in a Laplacian pyramid, no seams)`, optionParser('method'), DEFAULT_STACK_OPTIONS.method)
    .option('--align <model>', 'align slices to the reference before merging: auto (default: a similarity, applied only where the motion is real; microscope TIFF z-stacks are left unaligned), off, or one model forced: translation, similarity (shift, rotation, magnification), affine', optionParser('align'), DEFAULT_STACK_OPTIONS.align)
    .option('--reference <n>', 'slice the others are aligned to, as a 0-based index like the index map (default: the middle slice)', optionParser('reference'))
    .option('--no-brightness', 'do not match the slices\' gain and offset per channel to the reference')
    .addOption(
      new Option('--raw-colour <curve>', 'how camera RAW slices (DNG, CR2/CR3, NEF, ARW, ORF, RW2, ...) are developed to 16 bits, white balance as shot: srgb (the sRGB tone curve) or linear (proportional to light)')
        .choices(RAW_COLOURS)
        .default(DEFAULT_STACK_OPTIONS.rawColour),
    )
    .option('--keep-size', 'keep the full frame, edges filled from each slice\'s edge, instead of cropping to the area all slices cover', DEFAULT_STACK_OPTIONS.keepSize)
    .option('--limit-input-pixels <n>', 'largest slice to read, in pixels, against files whose header promises more than memory holds (default: 268402689, 16383 x 16383; 0: no limit)', optionParser('limitInputPixels', 'limit-input-pixels'));
}

export async function main(argv: string[]): Promise<number> {
  const controller = cancelOnSignals();

  const program = new Command('deepfield')
    .description('Focus stacking: merge slices focused at different depths into one all-in-focus image.')
    .exitOverride();
  let engine: Engine | undefined;
  const stackCommand = program
    .command('stack')
    .description('stack a folder (or a list) of focal slices into one composite')
    .argument('[inputs...]', 'a folder of slices, or the slice files (JPEG, PNG, TIFF incl. multi-page, WebP, camera RAW), taken in natural name order')
    .option('-o, --output <file>', 'composite to write; format from the extension: .png, .tif/.tiff, .jpg, .webp (beside it: <file>.deepfield.json, the provenance sidecar)')
    .option('--replay <sidecar>', 'rerun the job a .deepfield.json sidecar records, after checking its inputs are unchanged (SHA-256); with -o, write beside that file instead');
  // Job options between the inputs' and the run's, the order --help has always shown.
  addJobOptions(stackCommand);
  stackCommand
    .option('--overwrite', 'replace output files that already exist (never an input slice)', false)
    .option('--json', 'print a machine-readable summary (slices, per-slice statistics, timings) on stdout', false)
    .option('--threads <n>', 'worker threads (default: one per core)', parseNumber('threads', (n) => Number.isInteger(n) && n >= 1 && n <= 256, 'a whole number from 1 to 256'))
    .action(async (inputs: string[], opts) => {
      engine = new Engine({ workerFile: WORKER_FILE, threads: opts.threads });
      await runStackCommand(engine, inputs, opts, controller.signal);
    });
  addOutputOptions(stackCommand, 'stack');
  // Added after batch copied the job options: a per-file output, like the other stack outputs.
  stackCommand.option('--retouch <strokes.json>', 'paint strokes from the source slices onto the composite (and index map) before writing; the strokes are recorded in the sidecar, so --replay repeats them (format: docs/retouch.md)');
  stackCommand.option('--confidence-map <png>', 'also write how decisive each pixel\'s focus peak is (0-1 as 16-bit grey) as a PNG or TIFF');
  const batchCommand = registerBatchCommand(program, stackCommand, async (parent, opts) => {
    // Locally, as a shard of a Slurm array, or through a queue (src/main/cli/many-machines.ts).
    const makeEngine = (threads: number) => (engine = new Engine({ workerFile: WORKER_FILE, threads }));
    await runBatchMode(batchCommand, parent, opts as ManyMachinesOptions, makeEngine, controller.signal);
  });
  addManyMachinesOptions(batchCommand);
  registerWorkerCommand(program, async (opts) => {
    engine = new Engine({ workerFile: WORKER_FILE, threads: opts.threads });
    await runWorkerCommand(engine, opts, controller.signal);
  });

  registerServeCommand(program, WORKER_FILE, controller.signal);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if (code?.startsWith('commander.')) return 2; // commander already printed the problem
    if (isAbortError(error)) {
      // Every output set not yet in place when the run stopped was taken back whole.
      const told = error instanceof CancelledError && error.told;
      process.stderr.write(`deepfield: ${told ? (error as Error).message : 'cancelled, nothing written'}\n`);
      return 130;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`deepfield: error: ${message.split('\n')[0]}\n`);
    return 1;
  } finally {
    await engine?.close();
    await closeMetadataTool();
  }
}

process.exitCode = await main(process.argv.slice(2));
