// One error class per failure, each with a stable `code` (for --json and scripts) and the process
// exit code the CLI maps it to. The README's exit-code table is generated from EXIT below by hand:
// keep them in step.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  auth: 3,
  connect: 4,
  tls: 5,
  peer: 6,
  declined: 7,
  transfer: 8,
  integrity: 9,
  timeout: 10,
  file: 11,
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitName = keyof typeof EXIT;

export class XferError extends Error {
  readonly code: string;
  readonly exit: ExitName;
  constructor(code: string, exit: ExitName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.exit = exit;
    this.name = 'XferError';
  }
  get exitCode(): number {
    return EXIT[this.exit];
  }
}

export const errors = {
  usage: (msg: string) => new XferError('EUSAGE', 'usage', msg),
  auth: (msg: string) => new XferError('EAUTH', 'auth', msg),
  connect: (msg: string, cause?: unknown) => new XferError('ECONNECT', 'connect', msg, { cause }),
  tls: (msg: string, cause?: unknown) => new XferError('ETLS', 'tls', msg, { cause }),
  peerOffline: (msg: string) => new XferError('EPEEROFFLINE', 'peer', msg),
  peerNoSi: (msg: string) => new XferError('EPEERNOSI', 'peer', msg),
  declined: (msg: string) => new XferError('EDECLINED', 'declined', msg),
  noMethod: (msg: string) => new XferError('ENOMETHOD', 'transfer', msg),
  transfer: (msg: string, cause?: unknown) => new XferError('ETRANSFER', 'transfer', msg, { cause }),
  protocol: (msg: string) => new XferError('EPROTOCOL', 'transfer', msg),
  /** the receiver took the transfer and then failed or refused the file (its disk, its verdict):
   *  another method or protocol would end the same way, so none is tried */
  peerFailed: (msg: string) => new XferError('EPEERFAILED', 'transfer', msg),
  integrity: (msg: string) => new XferError('EINTEGRITY', 'integrity', msg),
  /** fewer bytes than offered: incomplete, not corrupt (with --resume the part is kept) */
  truncated: (msg: string) => new XferError('ETRUNCATED', 'transfer', msg),
  timeout: (msg: string) => new XferError('ETIMEOUT', 'timeout', msg),
  stall: (msg: string) => new XferError('ESTALL', 'timeout', msg),
  file: (msg: string, cause?: unknown) => new XferError('EFILE', 'file', msg, { cause }),
  cancelled: (msg: string) => new XferError('ECANCELLED', 'interrupted', msg),
};

export function toXferError(err: unknown): XferError {
  if (err instanceof XferError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'ENOSPC', 'EFBIG', 'EROFS'].includes(e.code)) {
    return errors.file(e.message, err);
  }
  return new XferError('EINTERNAL', 'internal', e?.message ?? String(err), { cause: err });
}
