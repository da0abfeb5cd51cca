/**
 * What frames and artifacts are matched on: the path of the minified file, without origin, query
 * or fragment. `~/assets/main.js` (any origin, the CLI's default form), `https://cdn.example/assets/
 * main.js` and `/assets/main.js` all become `/assets/main.js`, as does a frame's
 * `https://app.example/assets/main.js?v=3:1:200` file.
 */
export function bundlePathOf(urlOrPath: string): string {
  let path = urlOrPath.trim();
  if (path.startsWith("~")) path = path.slice(1);
  else {
    const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
    if (origin) path = path.slice(origin[0].length);
  }
  path = path.replace(/[?#].*$/, "");
  if (!path.startsWith("/")) path = `/${path}`;
  return path.replace(/\/{2,}/g, "/");
}

/** The R2 key of one artifact's map; a new upload of the same bundle gets a new object (its sha). */
export function objectKeyFor(projectId: string, artifactId: string, sha256: string): string {
  return `sourcemaps/${projectId}/${artifactId}/${sha256}.map`;
}

/** Every object of a project sits under this prefix, so archival can list and delete them. */
export function projectPrefix(projectId: string): string {
  return `sourcemaps/${projectId}/`;
}
