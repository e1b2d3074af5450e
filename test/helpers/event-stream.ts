// Server-sent events as the hosts stream them: blocks split by a blank line, the JSON on a
// "data: " line. For tests that read /api/events over plain HTTP.

/** Returns a handler for the response's chunks that calls `onEvent` with each parsed event. */
export function eventStreamReader(onEvent: (event: any) => void): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('utf8');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (data) onEvent(JSON.parse(data.slice(6)));
    }
  };
}
