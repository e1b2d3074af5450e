// The last-used choices (sigma, method, alignment, range, export dialog), loaded once and saved
// on every change so the next session starts where this one ended.
import { useCallback, useEffect, useState } from 'react';
import { loadSettings, saveSettings, type Settings } from '../settings';

/** localStorage, or nothing where the page may not use it (sandboxed, some private windows). */
function settingsStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

export function useSettings(): { settings: Settings; updateSettings: (partial: Partial<Settings>) => void } {
  const [settings, setSettings] = useState<Settings>(() => loadSettings(settingsStorage()));
  useEffect(() => saveSettings(settingsStorage(), settings), [settings]);
  const updateSettings = useCallback((partial: Partial<Settings>) => setSettings((s) => ({ ...s, ...partial })), []);
  return { settings, updateSettings };
}
