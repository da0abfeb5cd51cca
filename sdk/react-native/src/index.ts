import { Client, fetchTransport, getClient, type Options, setClient } from "@telemetry-tracker/core";
import { AppState, type AppStateStatus, Platform } from "react-native";

export * from "@telemetry-tracker/core/public";

export interface ReactNativeOptions extends Options {
  /** Wrap the global `ErrorUtils` handler. Default true. */
  captureFatal?: boolean;
  /** Upper bound in ms of the flush before a fatal error reaches the previous handler. Default 1000. */
  fatalFlushTimeout?: number;
  /** Sessions follow the app state: flush on background, new session after `sessionTimeout` away. Default true. */
  autoSessions?: boolean;
  /** Background time in ms after which returning starts a new session. Default 30000. */
  sessionTimeout?: number;
}

type GlobalHandler = (error: unknown, isFatal?: boolean) => void;
interface ErrorUtilsLike {
  getGlobalHandler(): GlobalHandler | undefined;
  setGlobalHandler(handler: GlobalHandler): void;
}

export const SDK = { name: "@telemetry-tracker/react-native", version: "0.1.0" };

// Options of the latest init; the global hooks are installed once and read these.
let opts: ReactNativeOptions | undefined;
let hooked = false;
let backgroundAt = 0;

function onAppState(state: AppStateStatus): void {
  const c = getClient();
  if (!c || opts?.autoSessions === false) return;
  if (state === "background") {
    backgroundAt = Date.now();
    // The OS may end a backgrounded app without notice: that is a normal end, not an abnormal one.
    c.scope.suspendSession(true);
    void c.flush();
  } else if (state === "active" && backgroundAt) {
    if (Date.now() - backgroundAt > (opts?.sessionTimeout ?? 30_000))
      c.startSession(); // ends the old one first
    else c.scope.suspendSession(false);
    backgroundAt = 0;
  }
}

function hookErrors(): void {
  const eu = (globalThis as { ErrorUtils?: ErrorUtilsLike }).ErrorUtils;
  if (!eu) return;
  const previous = eu.getGlobalHandler();
  eu.setGlobalHandler((error, isFatal) => {
    const c = getClient();
    if (!c || opts?.captureFatal === false) return previous?.(error, isFatal);
    c.captureException(error, { handled: false, level: isFatal ? "fatal" : "error", mechanism: "ErrorUtils" });
    if (!isFatal) return previous?.(error, isFatal);
    c.endSession("crashed");
    // The previous handler usually kills the app: it runs once, after a short bounded flush.
    let called = false;
    const next = () => {
      if (called) return;
      called = true;
      previous?.(error, isFatal);
    };
    c.flush(opts?.fatalFlushTimeout ?? 1000).then(next, next);
  });
}

/**
 * Starts Telemetry Tracker in a React Native app: fatal JS errors are captured and flushed (within
 * `fatalFlushTimeout`) before React Native's own handler runs, and sessions follow the app state.
 *
 * @example
 * import { init, releaseName } from "@telemetry-tracker/react-native";
 * init({ ingestUrl: "https://ingest.example.com", apiKey: "tt_live_…", app: "ios-app",
 *        release: releaseName({ bundleId: "com.acme.app", version: "2.3.0", build: 41 }) });
 */
export function init(options: ReactNativeOptions): Client | undefined {
  try {
    void getClient()?.shutdown();
    opts = options;
    const client = new Client({
      platform: `react-native-${Platform.OS}`,
      ...options,
      transport: options.transport ?? fetchTransport,
      sdk: SDK,
      device: { os: `${Platform.OS} ${Platform.Version}` },
    });
    setClient(client);
    if (!hooked) {
      hooked = true;
      hookErrors();
      AppState.addEventListener("change", onAppState);
    }
    if (options.autoSessions !== false) client.startSession();
    return client;
  } catch {
    return undefined;
  }
}

/** The part of React Navigation's container ref the tracker reads. */
export interface NavigationRefLike {
  getCurrentRoute(): { name: string } | undefined;
}

/**
 * Screen tracking for React Navigation: spread the result onto `NavigationContainer`; each change
 * of the focused route sends `$screen` (with the previous screen) and a navigation breadcrumb.
 *
 * @example
 * const navigationRef = createNavigationContainerRef();
 * const tracker = createNavigationTracker(navigationRef);
 * <NavigationContainer ref={navigationRef} onReady={tracker.onReady} onStateChange={tracker.onStateChange}>
 */
export function createNavigationTracker(ref: NavigationRefLike): { onReady: () => void; onStateChange: () => void } {
  let last: string | undefined;
  const track = () => {
    try {
      const name = ref.getCurrentRoute()?.name;
      if (!name || name === last) return;
      getClient()?.screen(name, { previous: last });
      last = name;
    } catch {}
  };
  return { onReady: track, onStateChange: track };
}

/**
 * A release name from the native app's identity: `bundleId@version+build`, so errors and sessions
 * group by the binary users actually run (the JS bundle alone does not say which one).
 *
 * @example
 * import * as Application from "expo-application";
 * releaseName({ bundleId: Application.applicationId!, version: Application.nativeApplicationVersion!,
 *               build: Application.nativeBuildVersion! }); // "com.acme.app@2.3.0+41"
 */
export function releaseName(native: { bundleId: string; version: string; build?: string | number }): string {
  const build = native.build == null || native.build === "" ? "" : `+${native.build}`;
  return `${native.bundleId}@${native.version}${build}`;
}
