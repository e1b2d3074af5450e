// Which of the open folder's files the user leaves out of the next Run (the slice strip's
// checkboxes): starts as the last run left them, belongs to that folder only.
import { useCallback, useEffect, useState } from 'react';
import type { StackSource } from '../../../shared/api';

export interface LeftOut {
  /** File names left out of the next Run. */
  names: string[];
  setIncluded: (name: string, included: boolean) => void;
  /** The stack Run stacks: the open one, less the files left out now. */
  forRun: StackSource | null;
}

export function useLeftOut(source: StackSource | null): LeftOut {
  const [names, setNames] = useState<string[]>([]);
  // A new run (another folder, or the same with other files left out) starts from what it left out.
  useEffect(() => setNames(source?.kind === 'folder' ? (source.exclude ?? []) : []), [source]);
  const setIncluded = useCallback((name: string, included: boolean) => {
    setNames((current) => (included ? current.filter((n) => n !== name) : current.includes(name) ? current : [...current, name]));
  }, []);
  const forRun: StackSource | null = source?.kind === 'folder' ? { kind: 'folder', path: source.path, ...(names.length > 0 ? { exclude: names } : {}) } : source;
  return { names, setIncluded, forRun };
}
