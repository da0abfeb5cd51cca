import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "react-native": new URL("./test/react-native-fake.ts", import.meta.url).pathname } },
  test: { environment: "node" },
});
