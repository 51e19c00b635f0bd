import { describe, expect, it } from 'vitest';
import { follow, type FollowSource } from '../../client/follow.js';
import { StreamCutError, type StreamEvent } from '../../client/event-stream.js';

interface S {
  status: string;
}

/** A strict fake: each open() plays the next script (events, then a cut or a clean close); polls play theirs. */
function source(streams: { events: StreamEvent<S>[]; then: 'cut' | 'close' | Error }[], polls: S[] = []) {
  const opened: (string | null)[] = [];
  let polled = 0;
  const src: FollowSource<S> = {
    open: (lastEventId) => {
      opened.push(lastEventId);
      const script = streams.shift();
      if (!script) throw new Error('opened more streams than scripted');
      return (async function* () {
        for (const e of script.events) yield e;
        if (script.then === 'cut') throw new StreamCutError('cut');
        if (script.then instanceof Error) throw script.then;
      })();
    },
    poll: async () => {
      const p = polls[polled++];
      if (!p) throw new Error('polled more than scripted');
      return p;
    },
    isEnded: (s) => s.status === 'done',
    timedOut: () => new Error('timed out'),
    refused: (err) => (err as { status?: number }).status === 404,
  };
  return { src, opened, polled: () => polled };
}

const ev = (id: string, event: string, status: string): StreamEvent<S> => ({ id, event, data: { status } });

describe('follow', () => {
  it('returns the end event, resuming a cut stream with the last event id', async () => {
    const f = source([
      { events: [ev('1', 'status', 'queued'), ev('2', 'status', 'running')], then: 'cut' },
      { events: [ev('3', 'status', 'running'), ev('4', 'status', 'done'), ev('5', 'end', 'done')], then: 'close' },
    ]);
    const seen: string[] = [];
    const r = await follow(f.src, { onUpdate: (s) => seen.push(s.status) });
    expect(r).toEqual({ status: 'done' });
    expect(f.opened).toEqual([null, '2']);
    expect(seen).toEqual(['queued', 'running', 'running', 'done', 'done']);
    expect(f.polled()).toBe(0);
  });

  it('falls back to polling when streams keep being cut before any event', async () => {
    const cut = { events: [], then: 'cut' as const };
    const f = source([cut, cut, cut], [{ status: 'running' }, { status: 'done' }]);
    const r = await follow(f.src, { resumes: 2, pollMs: 1 });
    expect(r).toEqual({ status: 'done' });
    expect(f.opened).toHaveLength(3);
    expect(f.polled()).toBe(2);
  });

  it('polls at once when the server has no event streams (404)', async () => {
    const f = source([{ events: [], then: Object.assign(new Error('no route'), { status: 404 }) }], [{ status: 'done' }]);
    expect(await follow(f.src, { pollMs: 1 })).toEqual({ status: 'done' });
    expect(f.opened).toHaveLength(1);
  });

  it('passes other errors through, and times out with the source error', async () => {
    const f = source([{ events: [], then: Object.assign(new Error('forbidden'), { status: 403 }) }]);
    await expect(follow(f.src)).rejects.toThrow('forbidden');
    const g = source([], Array.from({ length: 10_000 }, () => ({ status: 'running' })));
    g.src.refused = () => true;
    g.src.open = () => {
      throw Object.assign(new Error('no route'), { status: 404 });
    };
    await expect(follow(g.src, { timeoutMs: 50, pollMs: 5 })).rejects.toThrow('timed out');
  });
});
