import { AppError } from '../shared/errors.js';

/**
 * Refuses webhook URLs that may not be called: schemes other than http/https, and URLs that do not parse.
 * (The full SSRF guard, with address classes and connect-time checks, lives with webhook delivery.)
 */
export async function checkWebhookUrl(raw: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('invalid_webhook_url', 400, 'webhook_url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('invalid_webhook_url', 400, 'webhook_url must be http or https');
  }
  if (url.username || url.password) {
    throw new AppError('invalid_webhook_url', 400, 'webhook_url must not carry credentials');
  }
}
