import type { Express, RequestHandler } from 'express';
import { AppError } from '../../shared/errors.js';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouteLayer[] };
}

/** Every route the app's routers declare (routers mounted at the root), as a path pattern and its methods. */
function routeTable(app: Express): { re: RegExp; methods: string[] }[] {
  const table: { re: RegExp; methods: string[] }[] = [];
  const walk = (stack: RouteLayer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const pattern = layer.route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+');
        table.push({ re: new RegExp(`^${pattern}/?$`), methods: Object.keys(layer.route.methods).map((m) => m.toUpperCase()) });
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: RouteLayer[] } }).router.stack);
  return table;
}

/**
 * After every route: a path that exists with other methods answers 405 with `Allow` (RFC 9110) in the error
 * shape, not 404; a plain `OPTIONS` answers 204 with `Allow`. The table is read from the app's own routers once,
 * so it cannot drift from them.
 */
export function methodNotAllowed(app: Express): RequestHandler {
  let table: { re: RegExp; methods: string[] }[] | null = null;
  return (req, res, next) => {
    table ??= routeTable(app);
    const allowed = new Set<string>();
    for (const r of table) if (r.re.test(req.path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size === 0) return next();
    if (allowed.has('GET')) allowed.add('HEAD');
    allowed.add('OPTIONS');
    const allow = [...allowed].join(', ');
    res.setHeader('Allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next(new AppError('method_not_allowed', `${req.method} is not allowed on ${req.path}; allowed: ${allow}`));
  };
}
