// A real redis-server for a test: on a free loopback port, its files in the test's own temporary
// folder, stopped by its PID. Debian's redis-server package (.ci/run installs it).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';

export function hasRedisServer(): boolean {
  if (spawnSync('redis-server', ['--version']).status === 0) return true;
  if (process.env.CI) throw new Error('redis-server is missing: .ci/run must install it (apt-get install redis-server)');
  console.log('skipping the queue tests: redis-server is not installed (apt-get install redis-server)');
  return false;
}

/** A port nothing listens on right now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  pid: number;
  /** Stops it (SIGTERM: with appendonly it writes its data first) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  dir: string;
  port?: number;
  /** Keep the data across a restart (appendonly, synced at every write). */
  persistent?: boolean;
  password?: string;
}

export async function startRedis(options: RedisServerOptions): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', options.dir, '--save', '', '--daemonize', 'no'];
  args.push('--appendonly', options.persistent ? 'yes' : 'no', '--appendfsync', 'always');
  if (options.password) args.push('--requirepass', options.password);
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}:\n${log}`)), 15_000);
    child.stdout!.on('data', (d) => {
      log += d;
      if (/Ready to accept connections/.test(log)) clearTimeout(timer), resolve();
    });
    child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`redis-server exited (${code}):\n${log}`))));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid!;
  return {
    port,
    url: `redis://${options.password ? `:${options.password}@` : ''}127.0.0.1:${port}/0`,
    pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGTERM');
      await exited;
    },
  };
}
