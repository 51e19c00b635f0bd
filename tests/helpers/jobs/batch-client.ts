/** Small HTTP helpers for batch tests. */
export async function postImages(url: string, path: string, images: { data: Buffer; name: string }[], fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const img of images) form.append('images', new Blob([new Uint8Array(img.data)]), img.name);
  return fetch(`${url}${path}`, { method: 'POST', body: form });
}

export async function openBatch(url: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/v1/batches`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (res.status !== 201) throw new Error(`open batch: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; status: string };
}

export async function getBatch(url: string, id: string) {
  return (await (await fetch(`${url}/v1/batches/${id}`)).json()) as any;
}

export async function waitForBatch(url: string, id: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await getBatch(url, id);
    if (b.completed_at || Date.now() > deadline) return b;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function results(url: string, id: string, format: 'jsonl' | 'csv' = 'jsonl') {
  const res = await fetch(`${url}/v1/batches/${id}/results?format=${format}`);
  if (res.status !== 200) throw new Error(`results: ${res.status}`);
  const text = await res.text();
  return { res, lines: text.split('\n').filter(Boolean) };
}
