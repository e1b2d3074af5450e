// A full V8 collection on demand. Large buffers (decoded slices, alignment copies) are held by
// small JS objects, and a thread that allocates little JS may not collect for a long time, so
// the memory behind them stays resident after their last use. Workers collect after each task;
// the alignment pre-pass collects on the main thread once its copies are spent.
import v8 from 'node:v8';
import vm from 'node:vm';

// V8 exposes gc() to contexts made after the flag is set.
v8.setFlagsFromString('--expose-gc');
export const collectGarbage = vm.runInNewContext('gc') as () => void;
