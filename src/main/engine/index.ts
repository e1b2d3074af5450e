// The engine's one door: the command line, the browser host and the Electron glue import the
// pipeline from here and nowhere else, so what the engine offers is this list, and the folders
// behind it (input -> align -> focus -> merge -> output, composed by job/) can change freely.
// docs/architecture.md walks through the stages.

// Errors every caller shows the user.
export { CancelledError, DeepfieldError, describeFsError, isAbortError } from './errors';
export { collectGarbage } from './collect-garbage';

// A whole job: the worker pool and its stack() call, and runStackJob (inputs to files on disk).
export { Engine } from './job/engine';
export { StackResult, type PeakProfile } from './job/stack-result';
export { checkPlanFits, runStackJob, writeStackResult, type JobOutcome, type JobRequest } from './job/run-stack-job';
export { writeDepthColourMap } from './output/visualise';

// Input: finding, probing and decoding slices.
export { findSliceFiles, isImageFileName, naturalCompare, probeSlices } from './input/slices';
export { decodeSlice, readRaw, samplesOf, sliceReader, type PixelData } from './input/decode';
export { isRawFileName } from './input/raw';

// Alignment, for callers that read a slice in the composite's frame (previews, focus profiles).
export { decodeAligned, type SliceAlign } from './align/tasks';

// The focus measure's float64 reference, for single-slice questions (pixel profiles).
export { computeFocusMap } from './focus/focus-measure';

// Retouching: strokes from the source slices applied to a result, and strokes files.
export { readRetouchFile, retouchResult } from './retouch/retouch-result';
export { readSliceWindow } from './retouch/slice-window';

// Output: the plan of what a job writes, the writers, and the provenance sidecar.
export { DEFAULT_OUTPUT_PLAN, resolvePlan, resolveZStep, sidecarPathFor, validatePlan, type OutputPlan } from './output/output-plan';
export { writeOutputs } from './output/outputs';
// A run's outputs as one set: whether a stack's outputs are complete and up to date (batch runs
// and queue workers ask before stacking), clean-up after runs that died while writing, and the
// immediate roll-back a second Ctrl-C needs.
export { checkStackOutputs, type StackJobOutputs, type StackOutputState, type StackOutputStatus } from './output/stack-status';
export { recoverOutputFolder, rollBackOpenOutputsSync, type RecoveryReport } from './output/transaction';
export { parseZStep } from './output/height-map';
export { closeMetadataTool } from './output/metadata';
export { canonicalJson, deepfieldVersion, readSidecar, recordInputs, sameInputs, verifyInputs } from './output/sidecar';
export { candidateName, checkOutputPath, scaleTo8Bit, type StageFile, writeBytesAtomic, writeImageAtomic, writeIndexMap, writeUnderFreeName } from './output/write-image';
