import { createSignal, onMount } from "solid-js";

/** Runs before first paint (inlined in the document head), so a dark page never flashes white. */
export const THEME_BOOT = `(function(){try{var t=localStorage.getItem("tt-theme");if(!t){t=matchMedia("(prefers-color-scheme: dark)").matches?"dark":"light"}document.documentElement.dataset.theme=t}catch(e){}})()`;

export function ThemeToggle() {
  const [theme, setTheme] = createSignal<"light" | "dark">("light");
  onMount(() => setTheme(document.documentElement.dataset.theme === "dark" ? "dark" : "light"));
  const toggle = () => {
    const next = theme() === "dark" ? "light" : "dark";
    setTheme(next);
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem("tt-theme", next);
    } catch {
      // Private mode without storage: the choice lasts for this page only.
    }
  };
  return (
    <button
      type="button"
      onClick={toggle}
      aria-label={`Switch to ${theme() === "dark" ? "light" : "dark"} theme`}
      title="Toggle theme"
    >
      {theme() === "dark" ? "☀" : "☾"}
    </button>
  );
}
