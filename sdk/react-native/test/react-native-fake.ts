// Stands in for the "react-native" module in tests (aliased in vitest.config.ts).
type Listener = (state: string) => void;
const listeners = new Set<Listener>();

export const AppState = {
  currentState: "active",
  addEventListener(_type: "change", listener: Listener) {
    listeners.add(listener);
    return { remove: () => listeners.delete(listener) };
  },
  /** Test helper: the OS moved the app to `state`. */
  emit(state: string) {
    AppState.currentState = state;
    for (const l of listeners) l(state);
  },
};

export const Platform = { OS: "ios", Version: "17.4" };
