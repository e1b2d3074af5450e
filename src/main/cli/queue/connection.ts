// The Redis behind a queue batch: its URL checked and shown without the password, a first
// connection that fails in one line (refused, wrong password, unknown host) instead of retrying
// silently, and one line when an established connection drops and when it comes back, while
// ioredis reconnects underneath.
import { InvalidArgumentError } from 'commander';
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { describeExpected } from '../../../shared/options';
import { DeepfieldError } from '../../engine';

/** Checks a --queue value: redis://[user:password@]host[:port][/db] or rediss:// for TLS. */
export function parseQueueUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(describeExpected('a Redis URL like redis://host:6379/0', 'queue', value));
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || !/^\/?\d*$/.test(url.pathname)) {
    throw new InvalidArgumentError(describeExpected('a Redis URL like redis://host:6379/0', 'queue', value));
  }
  return value;
}

/** The URL as it may be printed: any password replaced by ***. */
export function shownUrl(queueUrl: string): string {
  const url = new URL(queueUrl);
  if (url.password) url.password = '***';
  return url.toString();
}

/** Reconnect quickly at first, then every 5 s at most, for as long as it takes. */
function reconnectDelay(times: number): number {
  return Math.min(250 * times, 5000);
}

/**
 * ioredis options for BullMQ's connections. Workers' blocking connections need
 * maxRetriesPerRequest null (a command waits for the connection instead of failing).
 */
export function connectionOptions(queueUrl: string): RedisOptions {
  return { url: queueUrl, maxRetriesPerRequest: null, retryStrategy: reconnectDelay, connectionName: 'deepfield' };
}

/** Why a connection failed, in the user's words. */
export function describeRedisError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) return 'connection refused (is redis-server running there?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) return 'no answer (timed out)';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection lost';
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) return 'wrong user name or password';
  if (/NOAUTH/i.test(message)) return 'the server needs a password (redis://:password@host:port/db)';
  if (/DB index is out of range/i.test(message)) return 'no such database number';
  return message.split('\n')[0];
}

/** Connects once, without retrying, and fails in one line naming the URL if Redis cannot be used. */
export async function checkQueueReachable(queueUrl: string): Promise<void> {
  const client = new Redis(queueUrl, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 5000 });
  // Without retries, connect() rejects with "Connection is closed"; the socket's error says why.
  let cause: unknown;
  client.on('error', (error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new DeepfieldError(`Cannot use the queue at ${shownUrl(queueUrl)}: ${describeRedisError(cause ?? error)}`);
  } finally {
    client.disconnect();
  }
}

/**
 * One line when the queue's connection is lost (naming the URL and why) and one when it is back,
 * however many times ioredis retries in between. `onError` is what BullMQ classes emit as 'error'.
 */
export function connectionNotices(queueUrl: string, write: (line: string) => void = (l) => process.stderr.write(l + '\n')) {
  let lost = false;
  return {
    onError(error: unknown): void {
      if (lost) return;
      lost = true;
      write(`deepfield: lost the queue at ${shownUrl(queueUrl)}: ${describeRedisError(error)}; reconnecting`);
    },
    onReady(): void {
      if (!lost) return;
      lost = false;
      write(`deepfield: the queue at ${shownUrl(queueUrl)} is back`);
    },
  };
}
