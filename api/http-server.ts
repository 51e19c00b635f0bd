import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestListener } from 'node:http';
import type { Logger } from '../shared/logger.js';
import { newRequestId } from '../shared/ids.js';
import { statusOf } from '../shared/errors.js';
import type { ErrorBody, ErrorCode } from '../shared/contract/error-codes.js';

/**
 * The API's HTTP server, with what a client that misbehaves at the socket level gets, decided once:
 *
 * - A client that sends its whole request and then half-closes (FIN after the body, as `curl -T`, `nc -N` or a
 *   test with `socket.end(body)` do) gets its answer every time, then the connection closes. Node's default
 *   (`httpAllowHalfOpen = false`) aborts such a request and ends the socket at once, so the answer is lost
 *   whenever the handler had not written it yet: a truncated form came back as 400 or as nothing, by chance.
 * - A request the HTTP parser cannot take (a body shorter than its Content-Length when the client half-closes,
 *   bad framing, headers too large, a request that timed out) is answered in the API's error shape with
 *   `Connection: close`, not Node's bare `400 Bad Request`.
 */
export function createHttpServer(app: RequestListener, logger: Logger): http.Server {
  const server = http.createServer(app);
  // Undocumented but long-standing (lib/_http_server.js): with it, a half-closed request is answered first.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Uploads of 10 MiB over slow links are fine; a client that sends nothing for this long is not.
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, logger));
  return server;
}

/** Node's parser error → the API's code (its status is the contract's, statusOf) and message. */
const CLIENT_ERRORS: Record<string, [ErrorCode, string]> = {
  HPE_INVALID_EOF_STATE: ['incomplete_body', 'the connection was closed before the whole body arrived'],
  HPE_HEADER_OVERFLOW: ['headers_too_large', 'the request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: ['request_timeout', 'the request took too long to arrive'],
};

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  // Node's own rule: never write into a socket that is gone or already carries a response.
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (err.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  const [code, message] = CLIENT_ERRORS[err.code ?? ''] ?? ['bad_request', 'the request could not be parsed'];
  const status = statusOf(code);
  const requestId = newRequestId();
  logger.info({ request_id: requestId, code, status, detail: err.code }, 'request refused');
  const answer: ErrorBody = { error: { code, message }, request_id: requestId };
  const body = JSON.stringify(answer);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}
