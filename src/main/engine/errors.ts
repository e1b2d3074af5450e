// Every error the engine raises for bad input names the file and the problem in one line, so the
// command line can print it as is and the app can show it without a stack trace.

export class DeepfieldError extends Error {
  /** The file the problem is about, when there is one. */
  readonly file?: string;
  constructor(message: string, file?: string) {
    super(message);
    this.name = 'DeepfieldError';
    this.file = file;
  }
}

/**
 * Raised when a run is cancelled through its AbortSignal. The message, when given, says what the
 * run had finished before (a batch's completed stacks); without one nothing was written.
 */
export class CancelledError extends Error {
  /** Whether the message says what was written; otherwise the run wrote nothing. */
  readonly told: boolean;
  constructor(message?: string) {
    super(message ?? 'Cancelled');
    this.name = 'CancelledError';
    this.told = message !== undefined;
  }
}

export function isAbortError(error: unknown): boolean {
  return (
    error instanceof CancelledError ||
    (error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR'))
  );
}

/** A short human reason for a file-system error code. */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: string })?.code;
  switch (code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOTDIR':
      return 'a part of its path is a file, not a folder';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
