import { readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// The images are never built where this project is developed (no Docker engine runs there, and no hadolint is
// installed), so the Dockerfile, docker-compose.yml and .dockerignore are checked here as text against the repo:
// the things a build or `compose up` would only reveal late (a command pointing at a file the build does not
// produce, a volume mounted at the wrong path, a grace period shorter than the drain) fail here instead.

/** The repository's root, whatever the working directory of the test run. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const read = (path: string): string => readFileSync(join(root, path), 'utf8');
export const toPosix = (path: string): string => path.split(sep).join('/');

/** A name that says its value is a secret, in an ENV, ARG or compose environment. */
export const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i;
