// The Emscripten factory inside the libraw-wasm package (LibRaw 0.22 compiled to WebAssembly),
// typed as far as the engine uses it. The package's own entry wraps it in a browser Web Worker,
// which Node's worker threads do not have, so the engine loads the factory directly.
declare module 'libraw-wasm/dist/libraw.js' {
  export interface LibRawSettings {
    outputBps?: 8 | 16;
    /** 0 raw, 1 sRGB, 2 Adobe, ... */
    outputColor?: number;
    useCameraWb?: boolean;
    useAutoWb?: boolean;
    noAutoBright?: boolean;
    /** LibRaw's gamm[6]: power, toe slope, then four values LibRaw computes. */
    gamm?: number[];
    userQual?: number;
    highlight?: number;
    halfSize?: boolean;
  }

  export interface LibRawImage {
    width: number;
    height: number;
    colors: number;
    bits: number;
    data: Uint8Array | Uint16Array;
  }

  export interface LibRawMetadata {
    width: number;
    height: number;
    camera_make: string;
    camera_model: string;
    flip: number;
  }

  export interface LibRawProcessor {
    open(buffer: Uint8Array, settings: LibRawSettings): void;
    metadata(fullOutput: boolean): LibRawMetadata;
    imageData(): LibRawImage;
  }

  export interface LibRawModule {
    LibRaw: new () => LibRawProcessor;
  }

  export interface LibRawModuleOptions {
    instantiateWasm?: (
      imports: WebAssembly.Imports,
      done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) => object;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }

  const createLibRaw: (options: LibRawModuleOptions) => Promise<LibRawModule>;
  export default createLibRaw;
}
