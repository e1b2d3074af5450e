// `deepfield batch` end to end: three stacks, one corrupt; two outputs and one reported failure,
// a summary CSV, and a rerun that does no work for the stacks already done.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateStackBytes } from '../../src/main/cli/batch-core';
import { summaryCsv } from '../../src/main/cli/batch-summary';
import { writeSyntheticStack } from '../../src/main/demo/synthetic-stack';
import { cliPath, readRaw, tempDir } from '../helpers/fixtures';

function runCli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// These tiny synthetic stacks are aligned already, but at 64x48 the estimate's noise exceeds the
// identity snap and would crop a pixel or two; the batch mechanics are checked on the full frame.
const ALIGN_OFF = ['--align', 'off'];

async function threeStacks(parent: string): Promise<void> {
  await writeSyntheticStack({ width: 64, height: 48, sliceCount: 3, seed: 1 }, path.join(parent, 'field-1'), 'png');
  await writeSyntheticStack({ width: 64, height: 48, sliceCount: 4, seed: 2 }, path.join(parent, 'field-2'), 'jpg');
  const corrupt = path.join(parent, 'field-3');
  await writeSyntheticStack({ width: 64, height: 48, sliceCount: 3, seed: 3 }, corrupt, 'png');
  // A truncated slice: the header promises more than the file holds.
  const bad = path.join(corrupt, 'slice-02.png');
  const bytes = await fs.readFile(bad);
  await fs.writeFile(bad, bytes.subarray(0, Math.floor(bytes.length / 3)));
}

function parseCsv(text: string): Array<Record<string, string>> {
  const [header, ...lines] = text.trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => {
    const fields: string[] = [];
    let current = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted && c === '"' && line[i + 1] === '"') (current += '"'), i++;
      else if (c === '"') quoted = !quoted;
      else if (c === ',' && !quoted) fields.push(current), (current = '');
      else current += c;
    }
    fields.push(current);
    return Object.fromEntries(names.map((n, i) => [n, fields[i]]));
  });
}

describe('deepfield batch', () => {
  it('stacks the good stacks, reports the corrupt one, and a rerun does no work', async () => {
    const dir = tempDir();
    const parent = path.join(dir, 'plate');
    const out = path.join(dir, 'out');
    await threeStacks(parent);

    const first = await runCli(['batch', parent, '-o', out, '--index-map', '--json', ...ALIGN_OFF]);
    expect(first.code, first.stderr).toBe(1); // one stack failed
    expect(first.stderr).toMatch(/1 of 3 stacks failed; first: field-3/);
    const rows = parseCsv(await fs.readFile(path.join(out, 'batch-summary.csv'), 'utf8'));
    expect(rows.map((r) => [r.stack, r.status.split(':')[0]])).toEqual([
      ['field-1', 'done'],
      ['field-2', 'done'],
      ['field-3', 'failed'],
    ]);
    expect(rows[2].status).toMatch(/slice-02\.png/);
    expect(rows[0]).toMatchObject({ slices: '3', size: '64x48' });
    expect(rows[1].outputs.split(';')).toContain(path.join(out, 'field-2.jpg'));
    // The composites take the slices' format; the failed stack left nothing behind.
    expect((await fs.readdir(out)).sort()).toEqual([
      'batch-summary.csv',
      'field-1.index.png',
      'field-1.png',
      'field-1.png.deepfield.json',
      'field-2.index.png',
      'field-2.jpg',
      'field-2.jpg.deepfield.json',
    ]);
    expect((await readRaw(path.join(out, 'field-1.png'))).width).toBe(64);
    const mtime = (await fs.stat(path.join(out, 'field-1.png'))).mtimeMs;

    const second = await runCli(['batch', parent, '-o', out, '--index-map', '--json', ...ALIGN_OFF]);
    expect(second.code).toBe(1);
    const summary = JSON.parse(second.stdout);
    expect(summary.stacks.map((r: { status: string }) => r.status)).toEqual(['up to date', 'up to date', 'failed']);
    expect(second.stderr).not.toMatch(/field-1: started/);
    expect((await fs.stat(path.join(out, 'field-1.png'))).mtimeMs).toBe(mtime);

    // Other options are another job: field-1's set is stale and made again, whole, without --overwrite
    // (the output folder's names are the batch's own).
    const third = await runCli(['batch', parent, '-o', out, '--index-map', '--sigma', '3', '--json', ...ALIGN_OFF]);
    const redone = JSON.parse(third.stdout).stacks[0];
    expect(redone.status).toBe('done');
    expect(redone.message).toMatch(/was stale: made with other options/);
    expect(JSON.parse(await fs.readFile(path.join(out, 'field-1.png.deepfield.json'), 'utf8')).options.sigma).toBe(3);
  });

  it('writes a summary a spreadsheet reads, quoting fields with commas', () => {
    const csv = summaryCsv([{ stack: 'a,b', slices: 3, size: '4x5', seconds: 1.234, outputs: ['x.png', 'y.png'], status: 'failed', message: 'said "no"' }]);
    expect(csv).toBe('stack,slices,size,time_s,outputs,status\n"a,b",3,4x5,1.23,x.png;y.png,"failed: said ""no"""\n');
  });

  it('estimates a stack\'s memory from its layout, growing with pixels, depth and threads', () => {
    const small = estimateStackBytes(1000, 1000, 3, 8, 2);
    expect(estimateStackBytes(2000, 1000, 3, 8, 2)).toBe(2 * small);
    expect(estimateStackBytes(1000, 1000, 3, 16, 2)).toBeGreaterThan(small);
    expect(estimateStackBytes(1000, 1000, 3, 8, 4)).toBeGreaterThan(small);
  });

  it('stops cleanly on Ctrl-C, leaving no partial files', async () => {
    const dir = tempDir();
    const parent = path.join(dir, 'plate');
    const out = path.join(dir, 'out');
    for (let i = 1; i <= 3; i++) await writeSyntheticStack({ width: 400, height: 300, sliceCount: 8, seed: i }, path.join(parent, `t${i}`), 'png');
    let sent = false;
    const run = await runCli(['batch', parent, '-o', out, '--jobs', '1', '--depth-map', '--heatmaps'], (text, child) => {
      if (!sent && /t1: started/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    const left = await fs.readdir(out, { recursive: true });
    expect(left.filter((f) => String(f).includes('.partial'))).toEqual([]);
    // Every stack is either complete with its sidecar or absent.
    for (const name of ['t1', 't2', 't3']) {
      const files = left.map(String).filter((f) => f.startsWith(name) && !f.endsWith('.heatmaps'));
      if (files.length > 0) expect(files).toContain(`${name}.png.deepfield.json`);
    }
  });
});
