/**
 * Locates the reference maps shared beside the repository: the env var
 * MULTI_EXTRACTOR_SHARED_DIR, else `<repo>/../shared`, else `/work/shared`.
 *
 * @module
 */
const REPO = new URL("../../../", import.meta.url);

function _isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Folder holding robot_sf's maps (`maps/robot_sf`), or null when absent. */
export function sharedMapsDir(): string | null {
  const candidates = [
    Deno.env.get("MULTI_EXTRACTOR_SHARED_DIR"),
    new URL("../shared", REPO).pathname,
    "/work/shared",
  ];
  for (const base of candidates) {
    if (base && _isDir(`${base}/maps/robot_sf`)) return `${base}/maps/robot_sf`;
  }
  return null;
}

/** The message tests print when they skip for lack of the shared maps. */
export const SKIP_MESSAGE =
  "shared maps not found (set MULTI_EXTRACTOR_SHARED_DIR or place shared/ beside the repo): skipping";
