import path from 'node:path';
import { fileURLToPath } from 'node:url';
// build/test/helpers -> repository root
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
