// What a queue job is: one stack of a batch with the batch's settings, as plain JSON that any
// worker seeing the same files can run. Its id comes from the stack's folder, the settings and the
// Deepfield version, so enqueuing the same batch twice adds nothing and a changed option is a new job.
import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { canonicalJson, deepfieldVersion } from '../../engine';
import type { BatchSettings, StackFolder } from '../batch-core';

/** One queue shared by every batch on a Redis; a job names its stack and output folder. */
export const QUEUE_NAME = 'deepfield-stacks';

/** Bumped when StackJobData changes shape, so an old worker refuses a job it would misread. */
export const JOB_FORMAT = 1;

export interface StackJobData {
  format: number;
  /** The Deepfield version of the submitter: workers must run the same one. */
  deepfield: string;
  /** The parent folder of the batch, absolute, as the submitter sees it (a shared file system). */
  parent: string;
  stack: { name: string; folder: string };
  settings: BatchSettings;
}

export function stackJobData(parent: string, stack: StackFolder, settings: BatchSettings): StackJobData {
  return { format: JOB_FORMAT, deepfield: deepfieldVersion, parent, stack: { name: stack.name, folder: stack.folder }, settings };
}

/** "stack-" and 32 hex digits of SHA-256 over the folder, the settings and the version. */
export function stackJobId(data: StackJobData): string {
  const key = canonicalJson({ format: data.format, deepfield: data.deepfield, folder: data.stack.folder, settings: data.settings });
  return `stack-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/** The reason a worker must not run this job, or undefined when it can. */
export function refusalOf(data: Partial<StackJobData>): string | undefined {
  if (data.deepfield !== deepfieldVersion || data.format !== JOB_FORMAT) {
    const from = typeof data.deepfield === 'string' ? `Deepfield ${data.deepfield}` : 'an unknown program';
    return `submitted by ${from} but this worker runs Deepfield ${deepfieldVersion}: run the same Deepfield version on every machine and submit again`;
  }
  return undefined;
}

/**
 * Retries and retention. A stack whose data is bad fails at once (the worker throws an
 * UnrecoverableError); anything else (a full disk, a lost mount) is tried three times, a minute
 * apart at most. Finished jobs stay a week so a rerun or --status can still show them.
 */
export function stackJobOptions(jobId: string): JobsOptions {
  return {
    jobId,
    attempts: 3,
    backoff: { type: 'exponential', delay: 10_000 },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
