// A one-node Slurm cluster for a test, all in the test's own folder: munged with its own key and
// socket, slurmctld and slurmd on free ports with their state, spool and logs there, started as
// root (slurmd runs jobs as their user) and stopped by PID. Debian's slurm-wlm and munge packages.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './redis';

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue'];

/** Why a one-node Slurm cannot run here, or undefined when it can. */
export function slurmUnavailable(): string | undefined {
  const missing = DAEMONS.filter((d) => spawnSync('sh', ['-c', `command -v ${d}`]).status !== 0);
  if (missing.length > 0) return `${missing.join(', ')} not installed (apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'slurmd must run as root to start jobs';
  return undefined;
}

export interface SlurmCluster {
  /** The environment sbatch and squeue need (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  /** Submits a batch script; returns the job id. */
  sbatch(script: string): string;
  /** Waits until the job (all its array tasks) has left the queue. */
  waitUntilDone(jobId: string, ms: number): Promise<void>;
  logs(): Promise<string>;
  stop(): Promise<void>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

async function pidOf(file: string, ms = 10_000): Promise<number> {
  const until = Date.now() + ms;
  for (;;) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    if (/^\d+/.test(text)) return Number.parseInt(text, 10);
    if (Date.now() > until) throw new Error(`${file} did not appear`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startSlurm(dir: string): Promise<SlurmCluster> {
  for (const sub of ['munge', 'state', 'spool', 'log']) await fs.mkdir(path.join(dir, sub), { recursive: true, mode: 0o700 });
  const key = path.join(dir, 'munge', 'munge.key');
  await fs.writeFile(key, randomBytes(1024), { mode: 0o400 });
  const socket = path.join(dir, 'munge', 'munge.sock');
  const env = { ...process.env, SLURM_CONF: path.join(dir, 'slurm.conf') };
  const pids: number[] = [];
  const stop = async () => {
    for (const pid of pids.reverse()) if (alive(pid)) process.kill(pid, 'SIGTERM');
    const until = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  };
  try {
    // munged refuses to run as root without --force; the daemons fork and write their PID files.
    run('munged', ['--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${dir}/munge/munged.pid`, `--log-file=${dir}/log/munged.log`, `--seed-file=${dir}/munge/seed`], env);
    pids.push(await pidOf(`${dir}/munge/munged.pid`));
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    const memoryMB = Math.floor(os.totalmem() / 2 ** 20 / 2);
    const conf = [
      'ClusterName=deepfield-test',
      'SlurmctldHost=localhost',
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd.log`,
      // No cgroups or systemd in a container: plain process tracking, no task binding.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU_Memory',
      'ReturnToService=2',
      'MpiDefault=none',
      `NodeName=localhost NodeHostname=${os.hostname()} CPUs=${os.availableParallelism()} RealMemory=${memoryMB} State=UNKNOWN`,
      'PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n');
    await fs.writeFile(env.SLURM_CONF, conf);
    run('slurmctld', ['-f', env.SLURM_CONF], env);
    pids.push(await pidOf(`${dir}/slurmctld.pid`));
    run('slurmd', ['-f', env.SLURM_CONF], env);
    pids.push(await pidOf(`${dir}/slurmd.pid`));
    // Ready once the node is idle.
    const until = Date.now() + 30_000;
    while (!/idle/.test(run('sinfo', ['-h', '-o', '%T'], env))) {
      if (Date.now() > until) throw new Error(`the Slurm node did not become idle: ${run('sinfo', [], env)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (error) {
    const logs = await fs.readdir(path.join(dir, 'log')).catch(() => []);
    const tails = logs.map((l) => `${l}:\n${readFileSync(path.join(dir, 'log', l), 'utf8').slice(-1500)}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${tails}`);
  }
  return {
    env,
    sbatch: (script) => run('sbatch', ['--parsable', script], env).trim().split(';')[0],
    async waitUntilDone(jobId, ms) {
      const until = Date.now() + ms;
      // squeue lists pending and running tasks; a job long gone is an "Invalid job id".
      const listed = () => {
        const result = spawnSync('squeue', ['-h', '-j', jobId], { env, encoding: 'utf8' });
        return result.status === 0 ? result.stdout.trim() !== '' : !/Invalid job id/i.test(result.stderr);
      };
      while (listed()) {
        if (Date.now() > until) throw new Error(`Slurm job ${jobId} still queued after ${ms} ms: ${run('squeue', [], env)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    async logs() {
      const names = await fs.readdir(path.join(dir, 'log'));
      return (await Promise.all(names.map(async (n) => `${n}:\n${await fs.readFile(path.join(dir, 'log', n), 'utf8')}`))).join('\n');
    },
    stop,
  };
}
