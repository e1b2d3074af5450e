// The export dialog: every output the engine's writeOutputs can make (issue 5), written together
// into a new folder. Choices are kept by the caller (and remembered between sessions); what is
// wrong with them is said before anything is sent.
import { useState } from 'react';
import { exportOutputsFrom, type ExportChoices } from '../settings';
import { Modal } from './Modal';

export interface ExportDialogProps {
  choices: ExportChoices;
  sliceCount: number;
  /** The slices' own spacing ("0.05um" from ImageJ metadata), used when the z-step is blank. */
  knownZStep?: string;
  onChoices: (choices: ExportChoices) => void;
  /** Resolves once the files are written (the dialog closes), rejects with what went wrong (it stays open and says so). */
  onExport: (choices: ExportChoices) => Promise<void>;
  onClose: () => void;
}

export function ExportDialog({ choices, sliceCount, knownZStep, onChoices, onExport, onClose }: ExportDialogProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (partial: Partial<ExportChoices>) => {
    setError(null);
    onChoices({ ...choices, ...partial });
  };
  const lossy = choices.format === 'jpeg' || choices.format === 'webp';
  const submit = () => {
    try {
      // Checked here so the message names the field; the host checks again.
      exportOutputsFrom(choices, sliceCount, knownZStep);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return;
    }
    setBusy(true);
    onExport(choices).then(onClose, (e: unknown) => {
      setBusy(false);
      setError(e instanceof Error ? e.message : String(e));
    });
  };
  const check = (key: keyof ExportChoices, label: string, title?: string) => (
    <label title={title}>
      <input type="checkbox" checked={choices[key] as boolean} onChange={(e) => set({ [key]: e.target.checked })} />
      {label}
    </label>
  );
  return (
    <Modal label="Export outputs" className="export-dialog" onClose={onClose}>
      <fieldset>
        <legend>Composite</legend>
        <label>
          Format
          <select aria-label="Composite format" value={choices.format} onChange={(e) => set({ format: e.target.value as ExportChoices['format'] })}>
            <option value="png">PNG</option>
            <option value="tiff">TIFF</option>
            <option value="jpeg">JPEG</option>
            <option value="webp">WebP</option>
          </select>
        </label>
        <label title="16 to 8 bits scales the data's actual range, so a 10-bit signal in 16-bit files is not black">
          Bit depth
          <select aria-label="Bit depth" value={choices.depth} onChange={(e) => set({ depth: e.target.value as ExportChoices['depth'] })}>
            <option value="input">as the slices</option>
            <option value="8">8-bit</option>
            <option value="16" disabled={lossy}>
              16-bit
            </option>
          </select>
        </label>
        {lossy && (
          <label>
            Quality
            <input
              type="number"
              aria-label="Quality"
              min={1}
              max={100}
              value={choices.quality}
              onChange={(e) => set({ quality: Math.min(100, Math.max(1, Math.round(Number(e.target.value) || 1))) })}
            />
          </label>
        )}
        {choices.format === 'tiff' && (
          <label title="Lossless only">
            Compression
            <select aria-label="TIFF compression" value={choices.tiffCompression} onChange={(e) => set({ tiffCompression: e.target.value as ExportChoices['tiffCompression'] })}>
              <option value="deflate">Deflate</option>
              <option value="lzw">LZW</option>
            </select>
          </label>
        )}
        {check('metadata', 'Keep metadata (EXIF, ICC, XMP)', "Carry the reference slice's metadata into the composite")}
      </fieldset>
      <fieldset>
        <legend>Depth</legend>
        {check('indexMap', 'Index map (16-bit PNG)')}
        {check('depthMap', 'Depth map in colour, with legend')}
        {check('heightMap', 'Height map (32-bit float TIFF)')}
        <label title={knownZStep ? `Distance between slices; blank for the slices' own ${knownZStep}` : 'Distance between slices (the slices do not record it)'}>
          Z-step
          <input
            className="small-number"
            type="text"
            inputMode="decimal"
            aria-label="Z-step"
            aria-invalid={error !== null && choices.heightMap && choices.zStep.trim() === '' ? true : undefined}
            placeholder={knownZStep ? knownZStep.replace(/[a-zµ]+$/i, '') : ''}
            value={choices.zStep}
            onChange={(e) => set({ zStep: e.target.value })}
          />
          <select aria-label="Z-step unit" value={choices.zUnit} onChange={(e) => set({ zUnit: e.target.value as ExportChoices['zUnit'] })}>
            <option value="nm">nm</option>
            <option value="um">µm</option>
            <option value="mm">mm</option>
          </select>
        </label>
        {check('subslice', 'Sub-slice refinement', "Fit a parabola to each pixel's focus profile so height maps are not terraced")}
      </fieldset>
      <fieldset>
        <legend>Focus</legend>
        {check('heatmaps', 'Heatmaps of all slices (shared scale)')}
        <label>
          Colour map
          <select aria-label="Heatmap colour map" value={choices.colourMap} onChange={(e) => set({ colourMap: e.target.value as ExportChoices['colourMap'] })}>
            <option value="viridis">viridis</option>
            <option value="inferno">inferno</option>
          </select>
        </label>
        <label>
          Scale
          <select aria-label="Heatmap export scale" value={choices.heatmapScale} onChange={(e) => set({ heatmapScale: e.target.value as ExportChoices['heatmapScale'] })}>
            <option value="linear">linear</option>
            <option value="log">log</option>
          </select>
        </label>
        {check('focusMap', 'Inverted focus map')}
        <label title="Each chosen slice's in-focus areas on white; blank for none">
          In focus on white, slices
          <input type="text" aria-label="In-focus slices" placeholder={`e.g. 1, 3-${Math.max(3, sliceCount)}`} value={choices.maskedSlices} onChange={(e) => set({ maskedSlices: e.target.value })} />
        </label>
      </fieldset>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <div className="dialog-buttons">
        <button type="button" className="primary" onClick={submit} disabled={busy}>
          {busy ? 'Exporting…' : 'Export files'}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
