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
  return (
    <Modal label="Export outputs" className="export-dialog" onClose={onClose}>
      <CompositeChoices choices={choices} set={set} />
      {/* A refused export with a height map and no z-step is most likely the missing z-step. */}
      <DepthChoices choices={choices} set={set} knownZStep={knownZStep} zStepSuspect={error !== null && choices.heightMap && choices.zStep.trim() === ''} />
      <FocusChoices choices={choices} set={set} sliceCount={sliceCount} />
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

/** One group of the dialog: the choices as they stand and how to change some of them. */
interface ChoiceGroupProps {
  choices: ExportChoices;
  set: (partial: Partial<ExportChoices>) => void;
}

function ChoiceBox({ choices, set, choice, label, title }: ChoiceGroupProps & { choice: keyof ExportChoices; label: string; title?: string }) {
  return (
    <label title={title}>
      <input type="checkbox" checked={choices[choice] as boolean} onChange={(e) => set({ [choice]: e.target.checked })} />
      {label}
    </label>
  );
}

// The drop-downs' values, in the order they are offered.
const COMPOSITE_FORMATS: Array<{ value: ExportChoices['format']; label: string }> = [{ value: 'png', label: 'PNG' }, { value: 'tiff', label: 'TIFF' }, { value: 'jpeg', label: 'JPEG' }, { value: 'webp', label: 'WebP' }];
const TIFF_COMPRESSIONS: Array<{ value: ExportChoices['tiffCompression']; label: string }> = [{ value: 'deflate', label: 'Deflate' }, { value: 'lzw', label: 'LZW' }];
const COLOUR_MAPS: Array<{ value: ExportChoices['colourMap']; label: string }> = [{ value: 'viridis', label: 'viridis' }, { value: 'inferno', label: 'inferno' }];
const HEATMAP_SCALES: Array<{ value: ExportChoices['heatmapScale']; label: string }> = [{ value: 'linear', label: 'linear' }, { value: 'log', label: 'log' }];

/** The choices that are one of a few values, each a drop-down. */
type ListChoice = 'format' | 'depth' | 'tiffCompression' | 'colourMap' | 'heatmapScale';

function ChoiceSelect<K extends ListChoice>({
  choices,
  set,
  choice,
  label,
  ariaLabel,
  title,
  options,
}: ChoiceGroupProps & { choice: K; label: string; ariaLabel: string; title?: string; options: Array<{ value: ExportChoices[K]; label: string; disabled?: boolean }> }) {
  return (
    <label title={title}>
      {label}
      <select aria-label={ariaLabel} value={choices[choice]} onChange={(e) => set({ [choice]: e.target.value as ExportChoices[K] })}>
        {options.map((option) => (
          <option key={option.value} value={option.value} disabled={option.disabled}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The composite's file: format, bit depth, and what each format adds (quality, compression). */
function CompositeChoices({ choices, set }: ChoiceGroupProps) {
  const lossy = choices.format === 'jpeg' || choices.format === 'webp';
  return (
    <fieldset>
      <legend>Composite</legend>
      <ChoiceSelect choices={choices} set={set} choice="format" label="Format" ariaLabel="Composite format" options={COMPOSITE_FORMATS} />
      <ChoiceSelect
        choices={choices}
        set={set}
        choice="depth"
        label="Bit depth"
        ariaLabel="Bit depth"
        title="16 to 8 bits scales the data's actual range, so a 10-bit signal in 16-bit files is not black"
        // JPEG and WebP hold 8 bits only.
        options={[{ value: 'input', label: 'as the slices' }, { value: '8', label: '8-bit' }, { value: '16', label: '16-bit', disabled: lossy }]}
      />
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
        <ChoiceSelect choices={choices} set={set} choice="tiffCompression" label="Compression" ariaLabel="TIFF compression" title="Lossless only" options={TIFF_COMPRESSIONS} />
      )}
      <ChoiceBox choices={choices} set={set} choice="metadata" label="Keep metadata (EXIF, ICC, XMP)" title="Carry the reference slice's metadata into the composite" />
    </fieldset>
  );
}

/** Which slice is sharpest where: index, depth and height maps, and the z-step heights need. */
function DepthChoices({ choices, set, knownZStep, zStepSuspect }: ChoiceGroupProps & { knownZStep?: string; zStepSuspect: boolean }) {
  return (
    <fieldset>
      <legend>Depth</legend>
      <ChoiceBox choices={choices} set={set} choice="indexMap" label="Index map (16-bit PNG)" />
      <ChoiceBox choices={choices} set={set} choice="depthMap" label="Depth map in colour, with legend" />
      <ChoiceBox choices={choices} set={set} choice="heightMap" label="Height map (32-bit float TIFF)" />
      <label title={knownZStep ? `Distance between slices; blank for the slices' own ${knownZStep}` : 'Distance between slices (the slices do not record it)'}>
        Z-step
        <input
          className="small-number"
          type="text"
          inputMode="decimal"
          aria-label="Z-step"
          aria-invalid={zStepSuspect ? true : undefined}
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
      <ChoiceBox choices={choices} set={set} choice="subslice" label="Sub-slice refinement" title="Fit a parabola to each pixel's focus profile so height maps are not terraced" />
    </fieldset>
  );
}

/** How sharp each slice is: heatmaps, the inverted focus map, and slices' in-focus areas on white. */
function FocusChoices({ choices, set, sliceCount }: ChoiceGroupProps & { sliceCount: number }) {
  return (
    <fieldset>
      <legend>Focus</legend>
      <ChoiceBox choices={choices} set={set} choice="heatmaps" label="Heatmaps of all slices (shared scale)" />
      <ChoiceSelect choices={choices} set={set} choice="colourMap" label="Colour map" ariaLabel="Heatmap colour map" options={COLOUR_MAPS} />
      <ChoiceSelect choices={choices} set={set} choice="heatmapScale" label="Scale" ariaLabel="Heatmap export scale" options={HEATMAP_SCALES} />
      <ChoiceBox choices={choices} set={set} choice="focusMap" label="Inverted focus map" />
      <label title="Each chosen slice's in-focus areas on white; blank for none">
        In focus on white, slices
        <input type="text" aria-label="In-focus slices" placeholder={`e.g. 1, 3-${Math.max(3, sliceCount)}`} value={choices.maskedSlices} onChange={(e) => set({ maskedSlices: e.target.value })} />
      </label>
    </fieldset>
  );
}
