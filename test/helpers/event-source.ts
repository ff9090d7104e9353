/**
 * A minimal EventSource over fetch (Node 20 has none): enough of the WHATWG interface for
 * httpSubscriptionLink. It never reconnects: a failed or ended stream is CLOSED.
 */
export class FetchEventSource extends EventTarget {
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readyState = 0;
  readonly #abort = new AbortController();
  constructor(readonly url: string) {
    super();
    void this.#run();
  }
  close(): void {
    this.readyState = this.CLOSED;
    this.#abort.abort();
  }
  async #run(): Promise<void> {
    try {
      const res = await fetch(this.url, {
        headers: { accept: 'text/event-stream' },
        signal: this.#abort.signal,
      });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      this.readyState = this.OPEN;
      this.dispatchEvent(new Event('open'));
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        buffer += read.value;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          this.#dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // aborted or failed: reported below as an error on a closed source
    }
    if (this.readyState !== this.CLOSED) {
      this.readyState = this.CLOSED;
      this.dispatchEvent(new Event('error'));
    }
  }
  #dispatch(block: string): void {
    let event = 'message';
    const data: string[] = [];
    let id: string | undefined;
    for (const line of block.split('\n')) {
      const [field, ...rest] = line.split(': ');
      const value = rest.join(': ');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (this.readyState === this.CLOSED || (data.length === 0 && id === undefined)) return;
    this.dispatchEvent(new MessageEvent(event, { data: data.join('\n'), lastEventId: id ?? '' }));
  }
}
