// Giving a verified temporary file its final name inside the output directory, without ever
// replacing a file that is there (unless --overwrite), and its final attributes.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errors, XferError } from '../errors.js';
import { numbered } from './safe-name.js';

/** link() errors that mean "this filesystem has no hard links", not "this name is taken" */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);

/**
 * link() fails with EEXIST instead of replacing, so two receivers (or a file created meanwhile)
 * can never be clobbered: "name", then "name (1)", … Where hard links do not exist the same
 * guarantee comes from an exclusive create of the name (see reserveAndRename).
 */
export async function placeFile(tmp: string, o: { dir: string; subdirs: string[]; base: string; overwrite: boolean }): Promise<string> {
  const dir = await makeSubdirs(o.dir, o.subdirs);
  if (o.overwrite) {
    const target = path.join(dir, o.base);
    await fsp.rename(tmp, target);
    return target;
  }
  let noLinks = false;
  for (let n = 0; n < 10000; n++) {
    const target = path.join(dir, n === 0 ? o.base : numbered(o.base, n));
    try {
      await (noLinks ? reserveAndRename(tmp, target) : fsp.link(tmp, target));
      await fsp.rm(tmp, { force: true });
      return target;
    } catch (err: any) {
      if (!noLinks && NO_HARD_LINKS.has(err?.code)) {
        noLinks = true;
        n--;
        continue;
      }
      if (err?.code !== 'EEXIST') throw err instanceof XferError ? err : errors.file(`cannot save ${target}: ${err.message}`, err);
    }
  }
  throw errors.file('no free file name');
}

/**
 * Create the subfolders one at a time, each checked to be a real directory: a symlink planted
 * inside the output directory must not lead the file anywhere else.
 */
async function makeSubdirs(root: string, subdirs: string[]): Promise<string> {
  let dir = root;
  for (const part of subdirs) {
    dir = path.join(dir, part);
    await fsp.mkdir(dir, { mode: 0o777 }).catch((err) => {
      if (err?.code !== 'EEXIST') throw errors.file(`cannot create folder ${dir}: ${err.message}`, err);
    });
    const st = await fsp.lstat(dir);
    if (!st.isDirectory()) throw errors.file(`${dir} is not a folder (a symlink or file is in the way); not saving there`);
  }
  return dir;
}

/**
 * Where hard links do not exist (FAT/exFAT, some network shares): create the name exclusively
 * ('wx' fails if anything is there), then rename the verified file over that empty placeholder,
 * which is ours. Never replaces a file someone else made.
 */
async function reserveAndRename(tmp: string, target: string): Promise<void> {
  const fh = await fsp.open(target, 'wx', 0o600);
  await fh.close();
  try {
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(target, { force: true });
    throw err;
  }
}

/**
 * The temporary file is 0600 (nobody else may read a half-received file); the saved one gets
 * what any new file gets here (0666 less the umask) and the sender's date when it gave one.
 */
export async function finishAttributes(final: string, date: string | undefined): Promise<void> {
  try {
    await fsp.chmod(final, 0o666 & ~process.umask());
    const t = date ? Date.parse(date) : NaN;
    if (Number.isFinite(t) && t > 0) await fsp.utimes(final, new Date(), new Date(t));
  } catch {
    // A filesystem without modes or times (vfat) keeps its defaults: the file itself is fine.
  }
}
