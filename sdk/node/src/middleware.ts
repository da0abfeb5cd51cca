import { captureException, getClient, normalizeRoute, trackEvent } from "@telemetry-tracker/core";

/** The parts of Node's IncomingMessage (and Express' additions) the middleware reads. */
export interface RequestLike {
  method?: string;
  url?: string;
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: string };
}

/** The parts of Node's ServerResponse the middleware reads. */
export interface ResponseLike {
  statusCode: number;
  once(event: "finish" | "close", listener: () => void): unknown;
}

function pathOf(req: RequestLike): string {
  const raw = req.originalUrl ?? req.url ?? "/";
  const q = raw.indexOf("?");
  return q < 0 ? raw : raw.slice(0, q);
}

/**
 * Records a `$request` event per request (method, route, path, status, duration_ms). Works as a
 * plain Node `http` wrapper and as Express/Connect middleware; `route` is Express' matched route
 * pattern when there is one, else the path; the path has its query dropped and ids replaced by
 * `:id` (`normalizeRoute`), so ids never split a route.
 *
 * @example
 * // Express
 * app.use(requestHandler());
 * // node:http
 * const track = requestHandler();
 * http.createServer((req, res) => { track(req, res); handle(req, res); });
 */
export function requestHandler(): (req: RequestLike, res: ResponseLike, next?: (err?: unknown) => void) => void {
  return (req, res, next) => {
    try {
      const start = performance.now();
      let done = false;
      const record = () => {
        if (done) return;
        done = true;
        const path = normalizeRoute(pathOf(req));
        trackEvent("$request", {
          method: req.method,
          route: req.route?.path ? `${req.baseUrl ?? ""}${req.route.path}` : path,
          path,
          status: res.statusCode,
          duration_ms: Math.round((performance.now() - start) * 100) / 100,
        });
      };
      res.once("finish", record);
      res.once("close", record);
    } catch {}
    next?.();
  };
}

/**
 * Express error middleware: captures the error with the request's method and path, then passes it
 * on. Register it after your routes.
 *
 * @example
 * app.use(errorHandler());
 */
export function errorHandler(): (
  err: unknown,
  req: RequestLike,
  res: ResponseLike,
  next: (err?: unknown) => void,
) => void {
  return (err, req, _res, next) => {
    if (getClient()) captureException(err, { handled: false, request: { method: req.method, path: pathOf(req) } });
    next(err);
  };
}
