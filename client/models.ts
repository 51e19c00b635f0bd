import { InferqError } from './errors.js';
import { Transport } from './transport.js';
import type { CallOptions } from './options.js';
import type { Health, Info, Model, ModelList, NotReady, Ready, WebhookSecret } from './types.js';

const enc = encodeURIComponent;

function isNotReady(body: unknown): body is NotReady {
  return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'not_ready';
}

/** The models and the operations endpoints. */
export class ModelsClient extends Transport {

  listModels(opts: CallOptions = {}): Promise<ModelList> {
    return this.json<ModelList>('GET', '/v1/models', { ...opts, retry: true });
  }

  getModel(name: string, opts: CallOptions = {}): Promise<Model> {
    return this.json<Model>('GET', `/v1/models/${enc(name)}`, { ...opts, retry: true });
  }

  /** `GET /info`: the default model. */
  info(opts: CallOptions = {}): Promise<Info> {
    return this.json<Info>('GET', '/info', { ...opts, retry: true });
  }

  /** `GET /health` (liveness). */
  health(opts: CallOptions = {}): Promise<Health> {
    return this.json<Health>('GET', '/health', { ...opts, retry: false });
  }

  /** `GET /ready`: `{status: 'ready'}` or `{status: 'not_ready', reasons}` (a 503 is an answer here, not an error). */
  async ready(opts: CallOptions = {}): Promise<Ready | NotReady> {
    try {
      return await this.json<Ready>('GET', '/ready', { ...opts, retry: false });
    } catch (err) {
      if (err instanceof InferqError && err.status === 503 && isNotReady(err.body)) return err.body;
      throw err;
    }
  }

  /** `GET /v1/webhooks/secret` with the operators' token (ADMIN_TOKEN). */
  webhookSecret(adminToken: string, opts: CallOptions = {}): Promise<WebhookSecret> {
    return this.json<WebhookSecret>('GET', '/v1/webhooks/secret', {
      ...opts,
      headers: { Authorization: `Bearer ${adminToken}` },
      retry: true,
    });
  }
}
