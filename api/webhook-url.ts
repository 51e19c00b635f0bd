import { AppError } from '../shared/errors.js';
import { checkUrl, WebhookUrlError, type GuardOptions } from '../shared/ssrf-guard.js';

/**
 * Refuses at submit time the webhook URLs that may never be called: other schemes, credentials, literal
 * non-public addresses in any spelling, localhost names. Names are checked again after DNS at delivery time.
 */
export function webhookUrlValidator(opts: GuardOptions) {
  return async (raw: string): Promise<void> => {
    try {
      checkUrl(raw, opts);
    } catch (err) {
      if (err instanceof WebhookUrlError) throw new AppError('invalid_webhook_url', err.message);
      throw err;
    }
  };
}
