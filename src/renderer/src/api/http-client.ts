// DeepfieldApi over HTTP and server-sent events, for the browser host (deepfield serve): each
// call of API_OPERATIONS goes to its route. The token comes from the address the server printed;
// it travels as a header on API calls and in the query where the browser makes the request
// itself (images, the event stream).
import { API_OPERATIONS, type ApiCalls, type DeepfieldApi, imagePath, type JobEvent, JOB_EVENTS_PATH, type Operation, type OperationName } from '../../../shared/api';

const TOKEN_HEADER = 'x-deepfield-token';

/** An error from the host, carrying the file it is about when there is one. */
export class HostError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

/** The request a call makes: its route with the path arguments filled in, the others in the query (GET) or the body (POST). */
export function httpRequestOf(spec: Operation, args: readonly unknown[]): { method: 'GET' | 'POST'; path: string; body?: unknown } {
  const [method, pattern] = spec.http!.split(' ') as ['GET' | 'POST', string];
  const rest: Record<string, unknown> = {};
  spec.names.forEach((name, i) => {
    if (!pattern.includes(`/:${name}`) && args[i] !== undefined) rest[name] = args[i];
  });
  const path = pattern.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(args[spec.names.indexOf(name)])));
  if (method === 'POST') return { method, path, body: spec.body ? args[spec.names.indexOf(spec.body)] : Object.keys(rest).length ? rest : undefined };
  const query = Object.entries(rest).map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`).join('&');
  return { method, path: query ? `${path}?${query}` : path };
}

export function createHttpApi(token: string): DeepfieldApi {
  const withToken = (path: string) => `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;

  async function call(spec: Operation, args: readonly unknown[]): Promise<unknown> {
    // A desktop-only call (a native dialog, a dropped file's path): the browser has no answer.
    if (!spec.http) return null;
    const { method, path, body } = httpRequestOf(spec, args);
    const response = await fetch(path, {
      method,
      headers: { [TOKEN_HEADER]: token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const problem = (await response.json().catch(() => null)) as { error?: string; file?: string } | null;
      throw new HostError(problem?.error ?? `The Deepfield server answered ${response.status} ${response.statusText}`, response.status, problem?.file);
    }
    if (spec.binary) return spec.binary.decode((name) => response.headers.get(name), await response.arrayBuffer());
    const answer: unknown = await response.json();
    // JSON has no undefined: a call that answers nothing (cancel) comes back as null.
    return answer === null && !spec.result.safeParse(null).success ? undefined : answer;
  }

  const listeners = new Set<(event: JobEvent) => void>();
  let events: EventSource | undefined;
  let opened: Promise<void> | undefined;
  /** One event stream for the page, open before any job starts so no event is missed. */
  function connect(): Promise<void> {
    if (!opened) {
      events = new EventSource(withToken(JOB_EVENTS_PATH));
      opened = new Promise<void>((resolve) => {
        events!.addEventListener('open', () => resolve(), { once: true });
        // A stream that cannot open must not hang startStack: the browser keeps retrying anyway.
        setTimeout(resolve, 3000);
      });
      events.onmessage = (message) => {
        const event = JSON.parse(message.data as string) as JobEvent;
        for (const listener of listeners) listener(event);
      };
    }
    return opened;
  }

  const calls = Object.fromEntries(
    (Object.entries(API_OPERATIONS) as Array<[OperationName, Operation]>).map(([name, spec]) => [name, (...args: unknown[]) => call(spec, args)]),
  ) as ApiCalls;
  return {
    ...calls,
    droppedFolder: async () => null,
    async startStack(...args) {
      await connect();
      return calls.startStack(...args);
    },
    onJobEvent(listener) {
      listeners.add(listener);
      void connect();
      return () => listeners.delete(listener);
    },
    imageUrl: (jobId, kind, options) => withToken(imagePath(jobId, kind, options)),
  };
}
