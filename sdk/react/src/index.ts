import { type BrowserOptions, type Client, getClient, init } from "@telemetry-tracker/browser";
import {
  Component,
  createContext,
  createElement,
  type ErrorInfo,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useState,
} from "react";

export type { BrowserOptions, Client } from "@telemetry-tracker/browser";

const TelemetryContext = createContext<Client | undefined>(undefined);

export interface TelemetryProviderProps {
  /** Options for the browser SDK; it is initialised once, after the first render, in the browser only. */
  options?: BrowserOptions;
  /** An existing client to provide instead (tests, several projects). */
  client?: Client;
  children?: ReactNode;
}

/**
 * Starts the browser SDK once (safe under StrictMode and server rendering: `init` runs in an
 * effect) and provides the client to the hooks and `ErrorBoundary` below it.
 *
 * @example
 * <TelemetryProvider options={{ ingestUrl, apiKey: "tt_live_…", app: "web" }}>
 *   <App />
 * </TelemetryProvider>
 */
export function TelemetryProvider({ options, client, children }: TelemetryProviderProps) {
  const [current, setCurrent] = useState<Client | undefined>(() => client ?? getClient());
  // biome-ignore lint/correctness/useExhaustiveDependencies: options are read once; a new options object on re-render must not re-init.
  useEffect(() => {
    if (client) return setCurrent(client);
    // StrictMode runs effects twice and remounts happen: an existing global client wins.
    const existing = getClient();
    setCurrent(existing ?? (options ? init(options) : undefined));
  }, [client]);
  return createElement(TelemetryContext.Provider, { value: current }, children);
}

/** The provided client, else the global one; `undefined` before any init. */
export function useTelemetry(): Client | undefined {
  return useContext(TelemetryContext) ?? getClient();
}

/**
 * A stable function that tracks an event.
 *
 * @example
 * const track = useTrackEvent();
 * <button onClick={() => track("add_to_cart", { sku })}>Add</button>
 */
export function useTrackEvent(): (name: string, properties?: Record<string, unknown>) => string | undefined {
  const ctx = useContext(TelemetryContext);
  return useCallback((name, properties) => (ctx ?? getClient())?.trackEvent(name, properties), [ctx]);
}

export interface FallbackProps {
  error: unknown;
  reset: () => void;
}

export interface ErrorBoundaryProps {
  /** Shown instead of the children after an error; a function gets the error and a `reset`. */
  fallback?: ReactNode | ((props: FallbackProps) => ReactNode);
  /** Called after the error was captured. */
  onError?: (error: unknown, info: ErrorInfo) => void;
  /** Extra tags for the captured error. */
  tags?: Record<string, string>;
  children?: ReactNode;
}

interface BoundaryState {
  failed: boolean;
  error: unknown;
}

/**
 * Catches render errors below it, sends them with the React component stack, and shows `fallback`.
 *
 * @example
 * <ErrorBoundary fallback={({ reset }) => <button onClick={reset}>Try again</button>}>
 *   <Checkout />
 * </ErrorBoundary>
 */
export class ErrorBoundary extends Component<ErrorBoundaryProps, BoundaryState> {
  static contextType = TelemetryContext;
  declare context: Client | undefined;
  state: BoundaryState = { failed: false, error: undefined };

  static getDerivedStateFromError(error: unknown): BoundaryState {
    return { failed: true, error };
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    (this.context ?? getClient())?.captureException(error, {
      mechanism: "react.errorBoundary",
      tags: this.props.tags,
      componentStack: info.componentStack ?? undefined,
    });
    try {
      this.props.onError?.(error, info);
    } catch {}
  }

  reset = (): void => this.setState({ failed: false, error: undefined });

  render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    const f = this.props.fallback;
    return typeof f === "function" ? f({ error: this.state.error, reset: this.reset }) : (f ?? null);
  }
}

/**
 * For React 19's root error options: captures errors React reports there (uncaught ones as
 * `handled: false`), then calls your callback.
 *
 * @example
 * createRoot(el, { onUncaughtError: reactErrorHandler(), onCaughtError: reactErrorHandler() });
 */
export function reactErrorHandler(
  callback?: (error: unknown, info: { componentStack?: string }) => void,
): (error: unknown, info: { componentStack?: string }) => void {
  return (error, info) => {
    getClient()?.captureException(error, {
      handled: false,
      mechanism: "react.root",
      componentStack: info?.componentStack,
    });
    callback?.(error, info);
  };
}
