// The slice of react-native's API this package uses, so it typechecks and builds without
// installing React Native; apps have the real types.
declare module "react-native" {
  export type AppStateStatus = "active" | "background" | "inactive" | "unknown" | "extension";
  export const AppState: {
    currentState: AppStateStatus;
    addEventListener(type: "change", listener: (state: AppStateStatus) => void): { remove(): void };
  };
  export const Platform: { OS: string; Version: string | number };
}
